package sim

// ContextKey exposes contextKey to the external tests.
var ContextKey = contextKey
