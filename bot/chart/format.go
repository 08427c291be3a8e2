package chart

import "github.com/whybot/whybot/knowledge/metric"

// formatValue is a value as drafts write it, in the reader's language.
func formatValue(id string, v float64, lang string) string { return metric.Format(id, v, lang, "EUR") }
