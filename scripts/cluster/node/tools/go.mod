// Small static programs for the real node of the test cluster (see ../../README.md):
// pause (the sandbox image), nettest (the image the real-node tests run) and
// mkimage (writes a one-binary image as a docker-archive tarball for
// `ctr images import`). Standard library only.
module cdk8s-workshops/scripts/cluster/node/tools

go 1.25.0
