//go:build race

package engines

// raceDetector is set under the race detector, whose sync.Pool drops items
// at random: allocation counts mean nothing there.
const raceDetector = true
