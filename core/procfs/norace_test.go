//go:build !race

package procfs

const raceDetector = false
