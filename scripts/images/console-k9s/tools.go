//go:build tools

// k9s, the terminal UI the Console capability's image runs (images/console), pinned by this module's go.mod and
// built on the host by build.sh so it shares the Go module and build caches of the project's other Go builds.
package tools

import _ "github.com/derailed/k9s"
