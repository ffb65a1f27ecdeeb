// Package auth checks the bearer tokens of API calls and what each caller
// may do. Tokens are kept only as SHA-256 hashes; a caller's role is
// reader (reads), operator (reads, plus creating, starting, stopping,
// skipping and deleting update runs) or admin (everything).
package auth
