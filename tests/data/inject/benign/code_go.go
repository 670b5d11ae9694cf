// Package retry runs an operation with exponential backoff and jitter.
package retry

import (
	"context"
	"errors"
	"math/rand"
	"time"
)

// Policy describes how often and how long to retry.
type Policy struct {
	Attempts int           // total attempts, including the first
	Base     time.Duration // delay before the second attempt
	Max      time.Duration // upper bound of any single delay
}

// ErrExhausted wraps the last error once every attempt has failed.
var ErrExhausted = errors.New("retry: attempts exhausted")

// Do calls op until it succeeds, the context ends, or the attempts run out.
func Do(ctx context.Context, p Policy, op func(context.Context) error) error {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	delay := p.Base
	var last error
	for i := 0; i < p.Attempts; i++ {
		if last = op(ctx); last == nil {
			return nil
		}
		if i == p.Attempts-1 {
			break
		}
		jitter := time.Duration(rand.Int63n(int64(delay)/2 + 1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay + jitter):
		}
		delay *= 2
		if delay > p.Max {
			delay = p.Max
		}
	}
	return errors.Join(ErrExhausted, last)
}
