// Drives auto-upgrade profiles on a caravan server with Azure's
// JavaScript SDK for Fleet Manager 2.0.0: profile CRUD with ETags, bad
// input, generateUpdateRun for each channel, and an enabled NodeImage
// profile that creates and starts a run by itself once a node image is
// published on the simulated cloud, beside a disabled one that does not.
//
// Usage: node autoupgrade.mjs
// Environment: CARAVAN_URL (https://...), CARAVAN_TOKEN, CARAVAN_SUBSCRIPTION,
// CARAVAN_CLUSTERS (cluster ids, comma-separated), CARAVAN_EXPECT (JSON:
// channel → expected Kubernetes target), CARAVAN_PUBLISH (the node image to
// publish). NODE_EXTRA_CA_CERTS must name the server's certificate.

import { ContainerServiceFleetClient } from "@azure/arm-containerservicefleet";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = env("CARAVAN_URL");
const token = env("CARAVAN_TOKEN");
const subscription = env("CARAVAN_SUBSCRIPTION");
const clusters = env("CARAVAN_CLUSTERS").split(",");
const expect = JSON.parse(env("CARAVAN_EXPECT"));
const image = env("CARAVAN_PUBLISH");
const rg = "rg-js-autoupgrade";
const fleetName = "fleet-auto";

const credential = {
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
};
const c = new ContainerServiceFleetClient(credential, subscription, { endpoint: url });
const step = (what) => console.log(`-- ${what}`);
function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const runName = (id) => id.split("/").pop();

async function expectError(what, call, status, field) {
  try {
    await call();
  } catch (e) {
    if (e.statusCode !== status || !String(e.message).includes(field)) fail(`${what}: ${e.statusCode} ${e.message}, want ${status} naming ${field}`);
    return;
  }
  fail(`${what} succeeded, want ${status}`);
}

async function runsOf(profileId) {
  const out = [];
  for await (const r of c.updateRuns.listByFleet(rg, fleetName)) {
    if (r.properties?.autoUpgradeProfileId?.toLowerCase() === profileId.toLowerCase()) out.push(r);
  }
  return out;
}

step("fleet and members");
await c.fleets.create(rg, fleetName, { location: "eastus" });
for (const [i, id] of clusters.entries()) {
  await c.fleetMembers.create(rg, fleetName, `m${i}`, { properties: { clusterResourceId: id } });
}

step("profile CRUD");
const created = await c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, "crud", { properties: { channel: "Rapid", nodeImageSelection: { type: "Latest" } } });
if (created.properties?.channel !== "Rapid" || !created.eTag) fail(`created ${JSON.stringify(created)}`);
const got = await c.autoUpgradeProfiles.get(rg, fleetName, "crud");
if (got.eTag !== created.eTag || got.properties.disabled) fail(`got ${JSON.stringify(got)}`);
const changed = await c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, "crud", { ...got, properties: { ...got.properties, disabled: true } }, { ifMatch: got.eTag });
if (changed.properties.disabled !== true || changed.eTag === got.eTag) fail(`changed ${JSON.stringify(changed)}`);
await expectError("a PUT with a stale ETag", () => c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, "crud", { properties: { channel: "Stable" } }, { ifMatch: got.eTag }), 412, "ETag");
let listed = 0;
for await (const p of c.autoUpgradeProfiles.listByFleet(rg, fleetName)) if (p.name === "crud") listed++;
if (listed !== 1) fail(`listed crud ${listed} times`);
await c.autoUpgradeProfiles.delete(rg, fleetName, "crud");
await expectError("GET of a deleted profile", () => c.autoUpgradeProfiles.get(rg, fleetName, "crud"), 404, "crud");

step("bad input");
await expectError("an unknown channel", () => c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, "bad", { properties: { channel: "Fast" } }), 400, "properties.channel");
// 2025-03-01, the SDK's version, has no TargetKubernetesVersion channel:
// the 400 names the field and the version that brings it.
await expectError("TargetKubernetesVersion at 2025-03-01", () => c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, "bad", { properties: { channel: "TargetKubernetesVersion", targetKubernetesVersion: "1.32" } }), 400, "2025-04-01-preview");
{
  const path = `/subscriptions/${subscription}/resourceGroups/${rg}/providers/Microsoft.ContainerService/fleets/${fleetName}/autoUpgradeProfiles/bad`;
  const resp = await fetch(`${url}${path}?api-version=2025-04-01-preview`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ properties: { channel: "TargetKubernetesVersion" } }),
  });
  const text = await resp.text();
  if (resp.status !== 400 || !text.includes("properties.targetKubernetesVersion")) fail(`TargetKubernetesVersion without a target: ${resp.status} ${text}, want 400 naming properties.targetKubernetesVersion`);
  console.log(`   TargetKubernetesVersion without a target: 400 naming properties.targetKubernetesVersion`);
}
const otherFleet = `/subscriptions/${subscription}/resourceGroups/${rg}/providers/Microsoft.ContainerService/fleets/other/updateStrategies/s1`;
await expectError("a strategy of another fleet", () => c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, "bad", { properties: { channel: "Stable", updateStrategyId: otherFleet } }), 400, "properties.updateStrategyId");

step("generateUpdateRun for each channel");
const channels = [
  { name: "stable", properties: { channel: "Stable" }, type: "Full", target: expect.Stable },
  { name: "rapid", properties: { channel: "Rapid" }, type: "Full", target: expect.Rapid },
  { name: "target", properties: { channel: "TargetKubernetesVersion", targetKubernetesVersion: expect.TargetMinor }, type: "Full", target: expect.TargetKubernetesVersion },
  { name: "images", properties: { channel: "NodeImage", nodeImageSelection: { type: "Consistent" } }, type: "NodeImageOnly", target: undefined },
];
// SDK 2.0.0 speaks 2025-03-01, which has no TargetKubernetesVersion
// channel: that profile is written at the preview that brings it, and
// the SDK generates its run like the others'.
async function putPreview(name, properties) {
  const path = `/subscriptions/${subscription}/resourceGroups/${rg}/providers/Microsoft.ContainerService/fleets/${fleetName}/autoUpgradeProfiles/${name}`;
  const resp = await fetch(`${url}${path}?api-version=2025-04-01-preview`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ properties }),
  });
  if (!resp.ok) fail(`PUT ${name} at 2025-04-01-preview: ${resp.status} ${await resp.text()}`);
  return resp.json();
}
for (const ch of channels) {
  const body = { ...ch.properties, disabled: true };
  const p = ch.properties.channel === "TargetKubernetesVersion" ? await putPreview(ch.name, body) : await c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, ch.name, { properties: body });
  const res = await c.autoUpgradeProfileOperations.generateUpdateRun(rg, fleetName, ch.name);
  if (!res?.id) fail(`${ch.name}: generateUpdateRun answered ${JSON.stringify(res)}`);
  const run = await c.updateRuns.get(rg, fleetName, runName(res.id));
  const u = run.properties.managedClusterUpdate;
  if (u.upgrade.type !== ch.type || u.upgrade.kubernetesVersion !== ch.target) fail(`${ch.name}: run upgrade ${JSON.stringify(u.upgrade)}, want ${ch.type} ${ch.target}`);
  if (run.properties.autoUpgradeProfileId?.toLowerCase() !== p.id.toLowerCase()) fail(`${ch.name}: run autoUpgradeProfileId ${run.properties.autoUpgradeProfileId}`);
  if (run.properties.status.status.state !== "NotStarted") fail(`${ch.name}: generated run is ${run.properties.status.status.state}, want NotStarted`);
  if (ch.name === "images" && u.nodeImageSelection?.type !== "Consistent") fail(`images: node image selection ${JSON.stringify(u.nodeImageSelection)}`);
  console.log(`   ${ch.properties.channel}: ${runName(res.id)} ${u.upgrade.type} ${u.upgrade.kubernetesVersion ?? ""}`);
  await c.updateRuns.delete(rg, fleetName, runName(res.id));
  await c.autoUpgradeProfiles.delete(rg, fleetName, ch.name);
}

step("triggers: an enabled and a disabled NodeImage profile");
const on = await c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, "nightly", { properties: { channel: "NodeImage" } });
const off = await c.autoUpgradeProfiles.createOrUpdate(rg, fleetName, "paused", { properties: { channel: "NodeImage", disabled: true } });
if ((await runsOf(on.id)).length !== 0) fail("the enabled profile made a run before anything was published");
const resp = await fetch(`${url}/simulator/publish`, {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ nodeImages: [image] }),
});
if (!resp.ok) fail(`publish: ${resp.status} ${await resp.text()}`);
const published = Date.now();
let triggered;
while (!triggered) {
  const rs = await runsOf(on.id);
  if (rs.length > 1) fail(`the release made ${rs.length} runs`);
  if (rs.length === 1 && rs[0].properties.status.status.state !== "NotStarted") triggered = rs[0];
  else if (Date.now() - published > 30_000) fail(`no started run 30s after publishing ${image}`);
  else await sleep(100);
}
const noticed = (Date.now() - published) / 1000;
const u = triggered.properties.managedClusterUpdate.upgrade;
if (u.type !== "NodeImageOnly") fail(`triggered run upgrade ${JSON.stringify(u)}`);
let last;
for (const deadline = Date.now() + 120_000; ; ) {
  last = await c.updateRuns.get(rg, fleetName, triggered.name);
  const s = last.properties.status.status.state;
  if (s === "Completed") break;
  if (["Failed", "Stopped"].includes(s) || Date.now() > deadline) fail(`triggered run ended ${s}: ${JSON.stringify(last.properties.status)}`);
  await sleep(100);
}
const status = (await c.autoUpgradeProfiles.get(rg, fleetName, "nightly")).properties.autoUpgradeProfileStatus;
if (status?.lastTriggerStatus !== "Succeeded" || !(status.lastTriggeredAt instanceof Date) || !status.lastTriggerUpgradeVersions?.includes(image)) fail(`enabled profile status ${JSON.stringify(status)}`);
const offStatus = (await c.autoUpgradeProfiles.get(rg, fleetName, "paused")).properties.autoUpgradeProfileStatus;
if (offStatus?.lastTriggeredAt || (await runsOf(off.id)).length !== 0) fail(`the disabled profile acted: ${JSON.stringify(offStatus)}`);
// The release triggers once: later checks find it recorded.
await sleep(1500);
if ((await runsOf(on.id)).length !== 1) fail("the release triggered more than one run");
console.log(`OK autoupgrade: ${triggered.name} started ${noticed.toFixed(1)}s after ${image} was published and Completed`);
