package metric

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Format renders v for people: money with the currency symbol, ratios as percentages,
// counts without decimals, using the number style of lang ("it": 1.234,5; "en": 1,234.5).
func Format(id string, v float64, lang, currency string) string {
	return formatKind(KindOf(id), v, lang, currency)
}

func formatKind(k Kind, v float64, lang, currency string) string {
	switch k {
	case Ratio:
		return Percent(v*100, lang)
	case Money:
		sym := CurrencySymbol(currency)
		if math.Abs(v) >= 100 {
			return sym + group(strconv.FormatFloat(math.Round(v), 'f', 0, 64), lang)
		}
		return sym + Decimal(v, 2, lang)
	case Count:
		return group(strconv.FormatFloat(math.Round(v), 'f', 0, 64), lang)
	case Seconds:
		return Decimal(v, 0, lang) + " s"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return group(strconv.FormatFloat(v, 'f', 0, 64), lang)
	}
	return Decimal(v, 2, lang)
}

// Percent renders p (already in percent) with at most one decimal: "30%", "12,5%".
func Percent(p float64, lang string) string {
	return Decimal(p, 1, lang) + "%"
}

// SignedPercent renders a change with its sign: "+30%", "-12,5%".
func SignedPercent(p float64, lang string) string {
	s := Percent(p, lang)
	if p > 0 && s != "0%" {
		return "+" + s
	}
	return s
}

// Decimal renders v with at most digits decimals, trailing zeros removed, in lang's style.
func Decimal(v float64, digits int, lang string) string {
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	intPart, frac, _ := strings.Cut(s, ".")
	out := group(intPart, lang)
	if frac != "" {
		if lang == "it" {
			out += "," + frac
		} else {
			out += "." + frac
		}
	}
	return out
}

func group(intPart, lang string) string {
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	if len(intPart) <= 3 || (lang == "it" && len(intPart) == 4) {
		if neg {
			return "-" + intPart
		}
		return intPart
	}
	sep := ","
	if lang == "it" {
		sep = "."
	}
	var b strings.Builder
	pre := len(intPart) % 3
	if pre > 0 {
		b.WriteString(intPart[:pre])
	}
	for i := pre; i < len(intPart); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(intPart[i : i+3])
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// CurrencySymbol maps an ISO code to its symbol; unknown codes are shown as "CODE ".
func CurrencySymbol(code string) string {
	switch strings.ToUpper(code) {
	case "", "EUR":
		return "€"
	case "USD":
		return "$"
	case "GBP":
		return "£"
	case "CHF":
		return "CHF "
	}
	return fmt.Sprintf("%s ", strings.ToUpper(code))
}
