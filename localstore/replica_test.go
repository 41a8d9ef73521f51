package localstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"mapstore/s3api"
)

// TestReplicaRoom checks the two halves of a replica's rule on space: its
// write path refuses what does not fit before proposing it (507, and the
// store goes on), and its Apply never refuses a batch for room (other
// replicas would accept it): a batch that truly does not fit fails the
// store instead of applying differently.
func TestReplicaRoom(t *testing.T) {
	s := openTestStore(t, Options{Capacity: 24 << 20, JournalSize: 2 << 20})
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte{1}, 3<<20)
	var err error
	for i := 0; err == nil; i++ {
		if i > 20 {
			t.Fatal("24 MiB took more than 60 MiB of objects")
		}
		_, err = s.PutObject(ctx, "bkt", fmt.Sprintf("k%d", i), s3api.ObjectMeta{}, bytes.NewReader(body), int64(len(body)), s3api.WriteConditions{})
	}
	if !errors.Is(err, s3api.ErrStorageFull) {
		t.Fatalf("put on a full replica: %v, want ErrStorageFull", err)
	}
	if err := s.DeleteObject(ctx, "bkt", "k0"); err != nil {
		t.Fatalf("the store refuses a delete after a refused put: %v", err)
	}

	// Apply, given chunks past the device's room, does not refuse them.
	res, err := s.Apply(&Batch{Ops: []Op{{Kind: OpOpenData}}}, s.Applied()+1)
	if err != nil {
		t.Fatal(err)
	}
	obj := res[0].Obj
	chunk := bytes.Repeat([]byte{2}, 1<<20)
	for block := uint64(0); ; block += 256 {
		if block > 64*256 {
			t.Fatal("wrote 64 MiB into a 24 MiB device")
		}
		res, err := s.Apply(&Batch{Ops: []Op{{Kind: OpWriteData, Obj: obj, Block: block, Data: chunk}}}, s.Applied()+1)
		if err != nil {
			if !errors.Is(err, ErrFailed) {
				t.Fatalf("a replica out of space: %v, want ErrFailed", err)
			}
			return
		}
		if res[0].Err != nil {
			t.Fatalf("a replica refused a chunk for room: %v", res[0].Err)
		}
	}
}
