package sqlitestore

import (
	"strings"

	"github.com/intakehq/intake/ownership"
)

// scopeWhere is the WHERE clause of ownership.Filter.Scope over the
// existing columns and the stored JSON (no schema change): owned by the
// rep, offered to them, or of one of the teams. A scope that allows
// nothing is "0", so the query returns no rows rather than every row.
func scopeWhere(sc *ownership.Scope) (string, []any) {
	var (
		or   []string
		args []any
	)
	if sc.Rep != "" {
		or = append(or, "owner = ?", "json_extract(json, '$.offer.to') = ?")
		args = append(args, sc.Rep, sc.Rep)
	}
	if len(sc.Teams) > 0 {
		or = append(or, "json_extract(json, '$.team') IN ("+strings.TrimSuffix(strings.Repeat("?,", len(sc.Teams)), ",")+")")
		for _, t := range sc.Teams {
			args = append(args, t)
		}
	}
	if len(or) == 0 {
		return "0", nil
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}
