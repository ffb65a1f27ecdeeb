// Package pgtest gives tests a real, empty PostgreSQL schema to work in.
//
// With CARAVAN_TEST_POSTGRES_DSN set, tests use that database: each Start
// creates a fresh schema in it and drops it when the test ends. Otherwise
// the first Start of a test binary runs initdb and starts a throwaway
// cluster in a temporary directory, listening on a free loopback port with
// its socket in that directory, and every test gets its own schema there;
// Main stops the cluster and removes the directory when the tests end.
//
// The server binaries are looked up in CARAVAN_TEST_POSTGRES_BIN, then
// PATH, then the usual install places (/usr/lib/postgresql/N/bin on Debian
// and Ubuntu, /usr/pgsql-N/bin, /usr/local/pgsql/bin). PostgreSQL refuses
// to run as root, so under root the cluster runs as the postgres OS user.
// When there are no binaries, tests skip with a note on what to install,
// unless CARAVAN_REQUIRE_POSTGRES=1, when they fail.
//
// A package using Start calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest
