//go:build race

package procfs

// raceDetector is set under the race detector, which allocates on its own
// account: allocation counts mean nothing there.
const raceDetector = true
