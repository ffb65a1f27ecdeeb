// Package web is caravan's dashboard: a page served at / by `caravan
// serve` that shows fleets, their members and update runs, draws a run's
// stages, groups and members live, and starts, stops and skips runs.
//
// The page is plain HTML, CSS and JavaScript embedded in the binary. It
// holds no data of its own: it signs in with a bearer token kept in the
// browser's session storage and calls the Fleet API with it, so the API's
// roles and errors apply to everything it does. A run's live picture
// comes from Stream, a server-sent event stream of the run's view
// (package runview) sent again after every change the run's feed reports;
// the page reads it with fetch, so the token travels in the Authorization
// header and never in a URL.
package web
