package modkit

// Cleanups are the releases a module collects while it provisions (pooled
// stores, shared clients, registrations), run by its Cleanup.
type Cleanups []func()

// Run calls the releases, the last collected first, and forgets them.
func (c *Cleanups) Run() {
	for i := len(*c) - 1; i >= 0; i-- {
		(*c)[i]()
	}
	*c = nil
}
