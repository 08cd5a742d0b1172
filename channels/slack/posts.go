package slack

import (
	"context"
	"fmt"
)

// Flags keeps small values by key; the ledger's store satisfies it. The
// adapter keeps its triage-post index there, as the mail reader keeps its
// checkpoint through its Lease.
type Flags interface {
	// SetFlag stores value under key ("" deletes it).
	SetFlag(ctx context.Context, key, value string) error
	// Flag returns the value under key, "" when there is none.
	Flag(ctx context.Context, key string) (string, error)
}

// Post is where a ticket's triage post is: channel and message ts.
type Post struct {
	Channel string
	TS      string
}

// The index's keys, one each way. They are the keys the ledger used when
// it kept the index, so posts recorded before still resolve.
func postKey(ticket string) string        { return "slack:post:" + ticket }
func threadKey(channel, ts string) string { return "slack:thread:" + channel + ":" + ts }

// posts is the triage-post ↔ ticket index.
type posts struct{ flags Flags }

// set records ticket id's post both ways, the thread first: a post is
// only looked up by ticket once it is recorded, so thread messages always
// find their ticket.
func (p posts) set(ctx context.Context, id string, post Post) error {
	if err := p.flags.SetFlag(ctx, threadKey(post.Channel, post.TS), id); err != nil {
		return fmt.Errorf("slack: record the thread of %s: %w", id, err)
	}
	if err := p.flags.SetFlag(ctx, postKey(id), post.Channel+" "+post.TS); err != nil {
		return fmt.Errorf("slack: record the post of %s: %w", id, err)
	}
	return nil
}

// of returns ticket id's post; ok is false when it is not posted (yet).
func (p posts) of(ctx context.Context, id string) (Post, bool, error) {
	v, err := p.flags.Flag(ctx, postKey(id))
	if err != nil {
		return Post{}, false, fmt.Errorf("slack: read the post of %s: %w", id, err)
	}
	var post Post
	if _, err := fmt.Sscan(v, &post.Channel, &post.TS); err != nil || v == "" {
		return Post{}, false, nil
	}
	return post, true, nil
}

// ticketOf returns the ticket whose post is the thread root (channel, ts);
// "" when none.
func (p posts) ticketOf(ctx context.Context, channel, ts string) (string, error) {
	v, err := p.flags.Flag(ctx, threadKey(channel, ts))
	if err != nil {
		return "", fmt.Errorf("slack: read the ticket of thread %s/%s: %w", channel, ts, err)
	}
	return v, nil
}
