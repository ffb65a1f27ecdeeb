// Package auth checks the bearer tokens of API calls and what each caller
// may do. Tokens are kept only as SHA-256 hashes. A caller's role is
// reader, operator or admin; the role a request needs is not decided
// here but by the server's route table (the Fleet API's is
// api.Permissions), from the route the request was matched to.
package auth
