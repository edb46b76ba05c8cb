//go:build !race

package syscalls

const raceDetector = false
