// Drives a caravan server through a full update run with Azure's
// JavaScript SDK for Fleet Manager: create a fleet, its members, an update
// strategy and a run, start the run and poll it until it completes.
//
// Usage: node fullrun.mjs 2.0.0|1.1.0
// Environment: CARAVAN_URL (https://...), CARAVAN_TOKEN, CARAVAN_SUBSCRIPTION,
// CARAVAN_CLUSTERS (cluster ids, comma-separated), CARAVAN_K8S (target
// version). NODE_EXTRA_CA_CERTS must name the server's certificate.

const sdkVersion = process.argv[2] ?? "2.0.0";
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = env("CARAVAN_URL");
const token = env("CARAVAN_TOKEN");
const subscription = env("CARAVAN_SUBSCRIPTION");
const clusters = env("CARAVAN_CLUSTERS").split(",");
const target = env("CARAVAN_K8S");
const rg = `rg-js-${sdkVersion.replaceAll(".", "-")}`;
const fleetName = "fleet-js";

// A credential that hands out caravan's bearer token.
const credential = {
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }),
};

const step = (what) => console.log(`-- ${what}`);

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

// The two SDK generations name their calls differently; each gets the
// same thin face.
async function open() {
  if (sdkVersion === "2.0.0") {
    const { ContainerServiceFleetClient } = await import("@azure/arm-containerservicefleet");
    const c = new ContainerServiceFleetClient(credential, subscription, { endpoint: url });
    return {
      putFleet: (f) => c.fleets.create(rg, fleetName, f),
      putMember: (n, m) => c.fleetMembers.create(rg, fleetName, n, m),
      getMember: (n) => c.fleetMembers.get(rg, fleetName, n),
      getFleet: () => c.fleets.get(rg, fleetName),
      listOperations: async () => {
        const out = [];
        for await (const o of c.operations.list()) out.push(o);
        return out;
      },
      putStrategy: (n, s) => c.fleetUpdateStrategies.createOrUpdate(rg, fleetName, n, s),
      putRun: (n, r) => c.updateRuns.createOrUpdate(rg, fleetName, n, r),
      startRun: (n) => c.updateRuns.start(rg, fleetName, n),
      getRun: (n) => c.updateRuns.get(rg, fleetName, n),
      listMembers: async () => {
        const out = [];
        for await (const m of c.fleetMembers.listByFleet(rg, fleetName)) out.push(m);
        return out;
      },
    };
  }
  const mod = await import("arm-containerservicefleet-1.1.0");
  const { ContainerServiceFleetClient } = mod.default ?? mod;
  const c = new ContainerServiceFleetClient(credential, subscription, { endpoint: url, $host: url });
  return {
    putFleet: (f) => c.fleets.beginCreateOrUpdateAndWait(rg, fleetName, f),
    putMember: (n, m) => c.fleetMembers.beginCreateAndWait(rg, fleetName, n, m),
    getMember: (n) => c.fleetMembers.get(rg, fleetName, n),
    putStrategy: (n, s) => c.fleetUpdateStrategies.beginCreateOrUpdateAndWait(rg, fleetName, n, s),
    putRun: (n, r) => c.updateRuns.beginCreateOrUpdateAndWait(rg, fleetName, n, r),
    startRun: (n) => c.updateRuns.beginStartAndWait(rg, fleetName, n),
    getRun: (n) => c.updateRuns.get(rg, fleetName, n),
    listMembers: async () => {
      const out = [];
      for await (const m of c.fleetMembers.listByFleet(rg, fleetName)) out.push(m);
      return out;
    },
  };
}

const api = await open();

step("create fleet");
const fleet = await api.putFleet({ location: "eastus", tags: { sdk: sdkVersion } });
if (fleet.name !== fleetName || !fleet.eTag) fail(`fleet ${JSON.stringify(fleet)}`);

step("create members");
const groups = ["canary", "prod"];
for (const [i, id] of clusters.entries()) {
  const body = { clusterResourceId: id, group: groups[Math.min(i, 1)] };
  const m = await api.putMember(`m${i}`, sdkVersion === "2.0.0" ? { properties: body } : body);
  if (m.clusterResourceId !== id && m.properties?.clusterResourceId !== id) fail(`member ${JSON.stringify(m)}`);
}
const listed = await api.listMembers();
if (listed.length !== clusters.length) fail(`listed ${listed.length} members, want ${clusters.length}`);

// GET, change, PUT back: the read-only fields the SDK sends are ignored.
const m0 = await api.getMember("m0");
await api.putMember("m0", { ...m0 });

if (api.getFleet) {
  // API 2025-03-01 defines the fleet's and the member's status: the
  // last operation on each.
  step("read fleet and member status");
  const f = await api.getFleet();
  const fid = f.properties?.status?.lastOperationId;
  if (!fid || f.properties.status.lastOperationError) fail(`fleet status ${JSON.stringify(f.properties)}`);
  const m = await api.getMember("m0");
  const mid = m.properties?.status?.lastOperationId;
  if (!mid || mid === fid) fail(`member status ${JSON.stringify(m.properties)} (fleet's last operation ${fid})`);
  step("list the provider's operations");
  const ops = (await api.listOperations()).map((o) => o.name);
  if (!ops.includes("Microsoft.ContainerService/fleets/updateRuns/start/action")) fail(`operations ${JSON.stringify(ops)}`);
}

step("create strategy");
const stages = [
  { name: "canary", groups: [{ name: "canary" }], afterStageWaitInSeconds: 0 },
  { name: "prod", groups: [{ name: "prod" }] },
];
const strategy = await api.putStrategy("safe", sdkVersion === "2.0.0" ? { properties: { strategy: { stages } } } : { strategy: { stages } });
if (!strategy.id) fail(`strategy ${JSON.stringify(strategy)}`);

step("create run");
const update = { upgrade: { type: "Full", kubernetesVersion: target }, nodeImageSelection: { type: "Latest" } };
const runBody = { updateStrategyId: strategy.id, managedClusterUpdate: update };
const run = await api.putRun("run-1", sdkVersion === "2.0.0" ? { properties: runBody } : runBody);
const props = run.properties ?? run;
if (props.status?.status?.state !== "NotStarted") fail(`created run ${JSON.stringify(run)}`);

step("start run");
const started = await api.startRun("run-1");
const state0 = (started.properties ?? started).status.status.state;
if (state0 !== "Running" && state0 !== "Completed") fail(`started run is ${state0}`);

step("poll run");
const deadline = Date.now() + 120_000;
let last;
for (;;) {
  const r = await api.getRun("run-1");
  last = (r.properties ?? r).status;
  if (last.status.state === "Completed") break;
  if (["Failed", "Stopped"].includes(last.status.state) || Date.now() > deadline) {
    fail(`run ended ${last.status.state}: ${JSON.stringify(last)}`);
  }
  await new Promise((res) => setTimeout(res, 100));
}
const members = last.stages.flatMap((s) => s.groups.flatMap((g) => g.members));
for (const m of members) {
  if (m.status.state !== "Completed") fail(`member ${m.name} is ${m.status.state}: ${m.message}`);
  if (!(m.status.startTime instanceof Date) || !(m.status.completedTime instanceof Date)) fail(`member ${m.name} times ${m.status.startTime} ${m.status.completedTime}`);
}
console.log(`OK ${sdkVersion}: run-1 Completed with ${members.length} members`);
