package scenario

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/skirmishgg/skirmish/game"
)

// The arithmetic of the match scenario: what quick-match promises, what
// the server's rooms hold, and the rate of the joins.

// roomFill summarises the rooms of a mode: how many, their players in all,
// and the distribution ("512×19 272×1", most players first).
func roomFill(rooms []game.RoomInfo, mode string) (n, players int, dist string) {
	byPlayers := map[int]int{}
	for _, r := range rooms {
		if r.Mode != mode {
			continue
		}
		n++
		players += r.Players
		byPlayers[r.Players]++
	}
	var parts []string
	for _, p := range slices.Backward(slices.Sorted(maps.Keys(byPlayers))) {
		parts = append(parts, strconv.Itoa(p)+"×"+strconv.Itoa(byPlayers[p]))
	}
	if len(parts) == 0 {
		return n, players, "-"
	}
	return n, players, strings.Join(parts, " ")
}

// quickMatchFill is what quick-match promises for n players in rooms of
// capacity c joining one after the other: full rooms, then one with the
// rest.
func quickMatchFill(n, c int) (rooms int, dist string) {
	if n <= 0 || c <= 0 {
		return 0, "-"
	}
	full, rest := n/c, n%c
	var parts []string
	if full > 0 {
		parts = append(parts, strconv.Itoa(c)+"×"+strconv.Itoa(full))
	}
	if rest > 0 {
		parts = append(parts, strconv.Itoa(rest)+"×1")
	}
	return full + min(rest, 1), strings.Join(parts, " ")
}

// rateHeld reads the Welcomes per second of the dial pacing: how many
// leading seconds kept at least bar per second, the Welcomes up to then,
// and the fewest in a whole second (the first and the last, partial, left
// out; -1 when there is no such second).
func rateHeld(bySecond []int64, bar float64) (held int, welcomes, fewest int64) {
	for held < len(bySecond) && float64(bySecond[held]) >= bar {
		welcomes += bySecond[held]
		held++
	}
	fewest = -1
	for i := 1; i < len(bySecond)-1; i++ {
		if fewest < 0 || bySecond[i] < fewest {
			fewest = bySecond[i]
		}
	}
	return held, welcomes, fewest
}

// joinRate is the rate of the Welcomes: joins − 1 intervals over the span
// from the first Welcome to the last (0 when it cannot be told). The
// latency of one join does not count against it, a server falling behind
// the offered rate does (its last Welcomes come late).
func joinRate(joins int64, firstWelcomeNs, lastWelcomeNs int64) float64 {
	if joins < 2 || firstWelcomeNs == 0 || lastWelcomeNs <= firstWelcomeNs {
		return 0
	}
	return float64(joins-1) / (float64(lastWelcomeNs-firstWelcomeNs) / 1e9)
}
