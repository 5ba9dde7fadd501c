//go:build tools

// Package tools records the main package scripts/argocd/build.sh builds, so that
// `go mod tidy` keeps its dependencies in go.mod/go.sum.
package tools

import _ "github.com/argoproj/argo-cd/v3/cmd"
