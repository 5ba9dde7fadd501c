// Package ext stands in for github.com/traefik/traefik/dynamic/ext, a module
// that Traefik's own go.mod takes from a sub-directory of its repository
// (replace => ./pkg/config/dynamic/ext). A sub-directory with its own go.mod is
// left out of the parent module's zip, and the Go module proxy does not serve
// that module on its own, so a build from the proxy needs it supplied locally.
//
// Traefik embeds these two types (inline, no fields) in dynamic.HTTPConfiguration
// and dynamic.Router as extension points for other distributions; the open
// source build has them empty, which is what this package provides.
package ext

// HTTP is embedded in Traefik's dynamic.HTTPConfiguration.
type HTTP struct{}

// Router is embedded in Traefik's dynamic.Router.
type Router struct{}
