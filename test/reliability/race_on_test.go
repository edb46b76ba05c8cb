//go:build race

package reliability

// raceEnabled: the race detector slows the reader several times over, so
// the zero-loss goal is not checked under it.
const raceEnabled = true
