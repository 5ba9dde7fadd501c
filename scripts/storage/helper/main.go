// volume-helper: what local-path-provisioner's helper pods run on the node, as its setupCommand and
// teardownCommand, instead of a shell image: `-a create` makes the volume's directory (mode 0777, so that the
// workshop's learner, uid 1001, owns her files in it whatever the pod's fsGroup: hostPath volumes are not chowned),
// `-a delete` removes it. The provisioner passes `-p <dir> -s <bytes> -m <Filesystem|Block> -a <create|delete>`; the
// directory must be below the mount of the node's storage root (VOL_DIR's parent), nothing else is touched.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("p", "", "the volume's directory")
	flag.String("s", "", "size in bytes (not enforced: local-path volumes have no quota)")
	mode := flag.String("m", "Filesystem", "volume mode")
	action := flag.String("a", "", "create or delete")
	flag.Parse()
	if err := run(*dir, *mode, *action); err != nil {
		fmt.Fprintln(os.Stderr, "volume-helper:", err)
		os.Exit(1)
	}
}

func run(dir, mode, action string) error {
	clean := filepath.Clean(dir)
	if dir == "" || !filepath.IsAbs(clean) || strings.Count(clean, "/") < 2 {
		return fmt.Errorf("-p %q must be an absolute directory below the storage root", dir)
	}
	if env := os.Getenv("VOL_DIR"); env != "" && filepath.Clean(env) != clean {
		return fmt.Errorf("-p %q differs from VOL_DIR %q", dir, env)
	}
	if mode != "Filesystem" {
		return fmt.Errorf("volume mode %q is not supported (Filesystem is)", mode)
	}
	switch action {
	case "create":
		if err := os.MkdirAll(clean, 0o777); err != nil {
			return err
		}
		return os.Chmod(clean, 0o777)
	case "delete":
		return os.RemoveAll(clean)
	default:
		return fmt.Errorf("-a %q must be create or delete", action)
	}
}
