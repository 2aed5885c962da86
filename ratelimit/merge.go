package ratelimit

import (
	"fmt"
	"slices"
)

// Merge returns the named preset's zones ("" is ocomms) changed by a
// site's configuration: the zones named in remove dropped, then each of
// zones replacing the preset zone of the same name, or appended. Every
// name in remove must be a preset zone; names in zones must be unique.
func Merge(preset string, remove []string, zones []Zone) ([]Zone, error) {
	if preset == "" {
		preset = "ocomms"
	}
	merged, err := Preset(preset)
	if err != nil {
		return nil, err
	}
	for _, name := range remove {
		i := slices.IndexFunc(merged, func(z Zone) bool { return z.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("remove_zone %s: the %s preset has no such zone", name, preset)
		}
		merged = slices.Delete(merged, i, i+1)
	}
	seen := make(map[string]bool, len(zones))
	for _, z := range zones {
		if seen[z.Name] {
			return nil, fmt.Errorf("zone %s is defined twice: zone names must be unique", z.Name)
		}
		seen[z.Name] = true
		if i := slices.IndexFunc(merged, func(p Zone) bool { return p.Name == z.Name }); i >= 0 {
			merged[i] = z
		} else {
			merged = append(merged, z)
		}
	}
	return merged, nil
}
