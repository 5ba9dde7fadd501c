//go:build tools

// The programs scripts/storage/build.sh builds from the Go module proxy, pinned by this module's go.mod.
package tools

import _ "github.com/rancher/local-path-provisioner"
