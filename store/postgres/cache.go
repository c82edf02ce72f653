package postgres

// The revocation and fault tables are cached in each replica's memory,
// kept coherent by the run-time state's protocol (see state): their
// writes are state writes of a namespace of their own, so a write
// returns only once every replica listening on the schema confirmed that
// the namespace's version changed, and a check serves its answer from
// memory only while that version is the one its cache was read under
// (store.Cached: read through, never kept, while the listener is down).
//
// Staleness: none for acknowledged writes. A write acknowledged on any
// replica changed the version here before it returned (its writer waited
// for this replica's confirmation), so every check that starts after it
// finds the version changed and reads the database, whose commit it
// follows. The one window left is a listener session that the database
// ended while this process has not yet read the end of its socket
// (microseconds, unless the network between them is cut, in which case
// every other call of this replica fails too): the writer no longer lists
// this replica, and this replica still believes its listener is up.
//
// Reserved namespaces: no State caller uses them.
const (
	nsRevocations = "flamock.store.revocations"
	nsFaults      = "flamock.store.faults"
)
