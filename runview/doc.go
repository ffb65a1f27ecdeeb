// Package runview turns an update run into what a person looks at: its
// state, progress, times and selected node images, and the tree of
// stages, groups, members and waits with each node's elapsed time and
// message. The CLI (`caravan updaterun show` and `watch`) draws it as
// text and the web dashboard as HTML from the same values, so both say
// the same thing about a run.
package runview
