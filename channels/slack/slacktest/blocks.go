package slacktest

// Block Kit checks: the limits Slack enforces on blocks, so an adapter that
// renders customer text into a card hears invalid_blocks here as it would
// from Slack, instead of finding out in production.

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Limits from Slack's Block Kit reference.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxContextItems  = 10
	maxActionItems   = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxID            = 255 // block_id, action_id
)

// checkBlocks returns Slack's error messages for the blocks JSON raw (at
// JSON pointer at), none when Slack would take it.
func checkBlocks(raw, at string, maxBlocks int) []string {
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return []string{fmt.Sprintf("must be an array of blocks [json-pointer:%s]", at)}
	}
	if len(list) > maxBlocks {
		return []string{fmt.Sprintf("must provide no more than %d items [json-pointer:%s]", maxBlocks, at)}
	}
	var blocks slack.Blocks
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return []string{fmt.Sprintf("invalid block: %v [json-pointer:%s]", err, at)}
	}
	var errs []string
	add := func(i int, path string, format string, args ...any) {
		errs = append(errs, fmt.Sprintf(format, args...)+fmt.Sprintf(" [json-pointer:%s/%d%s]", at, i, path))
	}
	ids := map[string]bool{}
	for i, b := range blocks.BlockSet {
		if id := b.ID(); id != "" {
			if ids[id] {
				add(i, "/block_id", "duplicate block_id %q", id)
			}
			ids[id] = true
			tooLong(add, i, "/block_id", id, maxID)
		}
		switch b := b.(type) {
		case *slack.SectionBlock:
			checkSection(add, i, b)
		case *slack.HeaderBlock:
			if b.Text != nil {
				tooLong(add, i, "/text/text", b.Text.Text, maxHeaderText)
			}
		case *slack.ContextBlock:
			if len(b.ContextElements.Elements) > maxContextItems {
				add(i, "/elements", "must provide no more than %d items", maxContextItems)
			}
		case *slack.ActionBlock:
			checkActions(add, i, b)
		}
	}
	return errs
}

type addFunc func(i int, path, format string, args ...any)

func tooLong(add addFunc, i int, path, s string, limit int) {
	if utf8.RuneCountInString(s) > limit {
		add(i, path, "must be less than %d characters", limit+1)
	}
}

func checkSection(add addFunc, i int, b *slack.SectionBlock) {
	if b.Text == nil && len(b.Fields) == 0 {
		add(i, "", "must provide either text or fields")
	}
	if b.Text != nil {
		tooLong(add, i, "/text/text", b.Text.Text, maxSectionText)
	}
	if len(b.Fields) > maxSectionFields {
		add(i, "/fields", "must provide no more than %d items", maxSectionFields)
	}
	for j, f := range b.Fields {
		if f != nil {
			tooLong(add, i, fmt.Sprintf("/fields/%d/text", j), f.Text, maxFieldText)
		}
	}
}

func checkActions(add addFunc, i int, b *slack.ActionBlock) {
	if b.Elements == nil {
		add(i, "/elements", "must provide at least 1 item")
		return
	}
	if len(b.Elements.ElementSet) > maxActionItems {
		add(i, "/elements", "must provide no more than %d items", maxActionItems)
	}
	for j, el := range b.Elements.ElementSet {
		btn, ok := el.(*slack.ButtonBlockElement)
		if !ok {
			continue
		}
		at := fmt.Sprintf("/elements/%d", j)
		if btn.Text != nil {
			tooLong(add, i, at+"/text/text", btn.Text.Text, maxButtonText)
		}
		tooLong(add, i, at+"/value", btn.Value, maxButtonValue)
		tooLong(add, i, at+"/action_id", btn.ActionID, maxID)
	}
}
