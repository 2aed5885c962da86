// Package defaults fills the settings of the audit log's configurations
// that were left unset: a size, count or duration that is zero or
// negative takes its default. It imports nothing.
package defaults

// Positive leaves a positive *v alone and sets any other value to def.
func Positive[T ~int | ~int32 | ~int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
