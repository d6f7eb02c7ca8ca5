package zizq

/*
#include <stdlib.h>
#include "zizq.h"
*/
import "C"

import "context"

// Cron scheduling is a Pro feature: a free server answers 403 (ErrClient,
// HTTPStatus 403).

// CronEntryRequest is an entry of ReplaceCronGroup and
// AddCronGroupEntry / ReplaceCronGroupEntry. Paused nil keeps the current
// state (new entries: running); Timezone "" is the server's local zone.
type CronEntryRequest struct {
	Name       string         `json:"name"`
	Expression string         `json:"expression"`
	Job        EnqueueRequest `json:"job"`
	Timezone   string         `json:"timezone,omitempty"`
	Paused     *bool          `json:"paused,omitempty"`
}

// ListCronGroups lists the names of every cron group.
func (c *Client) ListCronGroups(ctx context.Context) ([]string, error) {
	var out struct {
		Crons []string `json:"crons"`
	}
	err := c.fetchDoc(ctx, "ListCronGroups", &out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_list_cron_groups(h, buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	if out.Crons == nil {
		out.Crons = []string{}
	}
	return out.Crons, nil
}

func (c *Client) cronGroupCall(ctx context.Context, op, group string, body any,
	fn func(h *C.zizq_client, g *C.char, d *C.uint8_t, n C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status) (*CronGroup, error) {
	doc, err := c.optionalDoc(op, body)
	if err != nil {
		return nil, err
	}
	cg, err := cString(op, "group", group)
	if err != nil {
		return nil, err
	}
	defer freeCString(cg)
	out := &CronGroup{}
	err = c.fetchDoc(ctx, op, out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return fn(h, cg, bytesPtr(doc), C.size_t(len(doc)), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetCronGroup fetches a group and its entries.
func (c *Client) GetCronGroup(ctx context.Context, name string) (*CronGroup, error) {
	return c.cronGroupCall(ctx, "GetCronGroup", name, nil, func(h *C.zizq_client, g *C.char, _ *C.uint8_t, _ C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_get_cron_group(h, g, buf, cerr)
	})
}

// ReplaceCronGroup creates or replaces a whole group: entries missing from
// entries are deleted, entries whose expression is unchanged keep their
// schedule. paused nil keeps the group's state.
func (c *Client) ReplaceCronGroup(ctx context.Context, name string, paused *bool, entries []CronEntryRequest) (*CronGroup, error) {
	if entries == nil {
		entries = []CronEntryRequest{}
	}
	body := map[string]any{"entries": entries}
	if paused != nil {
		body["paused"] = *paused
	}
	return c.cronGroupCall(ctx, "ReplaceCronGroup", name, body, func(h *C.zizq_client, g *C.char, d *C.uint8_t, n C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_replace_cron_group(h, g, d, n, buf, cerr)
	})
}

// UpdateCronGroup pauses or resumes a group.
func (c *Client) UpdateCronGroup(ctx context.Context, name string, paused bool) (*CronGroup, error) {
	return c.cronGroupCall(ctx, "UpdateCronGroup", name, map[string]any{"paused": paused}, func(h *C.zizq_client, g *C.char, d *C.uint8_t, n C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_update_cron_group(h, g, d, n, buf, cerr)
	})
}

// DeleteCronGroup deletes a group and its entries.
func (c *Client) DeleteCronGroup(ctx context.Context, name string) error {
	cg, err := cString("DeleteCronGroup", "group", name)
	if err != nil {
		return err
	}
	defer freeCString(cg)
	return c.call(ctx, "DeleteCronGroup", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_delete_cron_group(h, cg, cerr)
	})
}

// DeleteAllCrons deletes every cron group and returns how many there were.
func (c *Client) DeleteAllCrons(ctx context.Context) (int64, error) {
	var out C.int64_t
	err := c.call(ctx, "DeleteAllCrons", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_delete_all_crons(h, &out, cerr)
	})
	return int64(out), err
}

func (c *Client) cronEntryCall(ctx context.Context, op, group string, entry *string, body any,
	fn func(h *C.zizq_client, g, e *C.char, d *C.uint8_t, n C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status) (*CronEntry, error) {
	doc, err := c.optionalDoc(op, body)
	if err != nil {
		return nil, err
	}
	cg, err := cString(op, "group", group)
	if err != nil {
		return nil, err
	}
	defer freeCString(cg)
	var ce *C.char
	if entry != nil {
		if ce, err = cString(op, "entry", *entry); err != nil {
			return nil, err
		}
		defer freeCString(ce)
	}
	out := &CronEntry{}
	err = c.fetchDoc(ctx, op, out, func(h *C.zizq_client, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return fn(h, cg, ce, bytesPtr(doc), C.size_t(len(doc)), buf, cerr)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AddCronGroupEntry adds an entry (creating the group if needed). An
// existing entry name is ErrClient with HTTPStatus 409.
func (c *Client) AddCronGroupEntry(ctx context.Context, group string, entry CronEntryRequest) (*CronEntry, error) {
	return c.cronEntryCall(ctx, "AddCronGroupEntry", group, nil, entry, func(h *C.zizq_client, g, _ *C.char, d *C.uint8_t, n C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_add_cron_group_entry(h, g, d, n, buf, cerr)
	})
}

// GetCronGroupEntry fetches one entry.
func (c *Client) GetCronGroupEntry(ctx context.Context, group, entry string) (*CronEntry, error) {
	return c.cronEntryCall(ctx, "GetCronGroupEntry", group, &entry, nil, func(h *C.zizq_client, g, e *C.char, _ *C.uint8_t, _ C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_get_cron_group_entry(h, g, e, buf, cerr)
	})
}

// ReplaceCronGroupEntry creates or replaces one entry (its name is entry;
// spec.Name is ignored). An unchanged expression keeps its schedule.
func (c *Client) ReplaceCronGroupEntry(ctx context.Context, group, entry string, spec CronEntryRequest) (*CronEntry, error) {
	body := map[string]any{"expression": spec.Expression, "job": spec.Job}
	if spec.Timezone != "" {
		body["timezone"] = spec.Timezone
	}
	if spec.Paused != nil {
		body["paused"] = *spec.Paused
	}
	return c.cronEntryCall(ctx, "ReplaceCronGroupEntry", group, &entry, body, func(h *C.zizq_client, g, e *C.char, d *C.uint8_t, n C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_replace_cron_group_entry(h, g, e, d, n, buf, cerr)
	})
}

// UpdateCronGroupEntry pauses or resumes one entry.
func (c *Client) UpdateCronGroupEntry(ctx context.Context, group, entry string, paused bool) (*CronEntry, error) {
	return c.cronEntryCall(ctx, "UpdateCronGroupEntry", group, &entry, map[string]any{"paused": paused}, func(h *C.zizq_client, g, e *C.char, d *C.uint8_t, n C.size_t, buf *C.zizq_buf, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_update_cron_group_entry(h, g, e, d, n, buf, cerr)
	})
}

// DeleteCronGroupEntry deletes one entry.
func (c *Client) DeleteCronGroupEntry(ctx context.Context, group, entry string) error {
	cg, err := cString("DeleteCronGroupEntry", "group", group)
	if err != nil {
		return err
	}
	defer freeCString(cg)
	ce, err := cString("DeleteCronGroupEntry", "entry", entry)
	if err != nil {
		return err
	}
	defer freeCString(ce)
	return c.call(ctx, "DeleteCronGroupEntry", func(h *C.zizq_client, cerr **C.zizq_error) C.enum_zizq_status {
		return C.zizq_delete_cron_group_entry(h, cg, ce, cerr)
	})
}
