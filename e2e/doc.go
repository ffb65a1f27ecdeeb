// Package e2e holds tests that run the caravan binary itself, as users
// and automated checks do: separate processes, real ports, real signals.
package e2e
