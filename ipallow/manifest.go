package ipallow

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// manifestEntry is one action of Next.js's server-reference-manifest.json
// (.next/server/): the action's exported name and file, per worker. The
// manifest's encryptionKey is never decoded.
type manifestEntry struct {
	ExportedName string `json:"exportedName"`
	Filename     string `json:"filename"`
	Workers      map[string]struct {
		ExportedName string `json:"exportedName"`
	} `json:"workers"`
}

// ActionIDsFromManifest returns the ids (the Next-Action header values)
// of the server actions named names in a Next.js build's
// server-reference-manifest.json, sorted. Ids change with every build, so
// read them from the build that runs.
func ActionIDsFromManifest(data []byte, names []string) ([]string, error) {
	var m struct {
		Node map[string]manifestEntry `json:"node"`
		Edge map[string]manifestEntry `json:"edge"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("ipallow: reading the server action manifest: %w", err)
	}
	if m.Node == nil && m.Edge == nil {
		return nil, fmt.Errorf("ipallow: the server action manifest has no node or edge actions")
	}
	var ids []string
	for _, set := range []map[string]manifestEntry{m.Node, m.Edge} {
		for id, e := range set {
			match := slices.Contains(names, e.ExportedName)
			for _, w := range e.Workers {
				match = match || slices.Contains(names, w.ExportedName)
			}
			if match && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// AdminActionNames are the names of AdminServerActions.
func AdminActionNames() []string {
	out := make([]string, len(AdminServerActions))
	for i, a := range AdminServerActions {
		out[i] = a.Name
	}
	return out
}
