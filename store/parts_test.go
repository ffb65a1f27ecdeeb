package store

import (
	"bytes"
	"fmt"
	"testing"
)

func TestAssembledCacheHoldsBoundedBytes(t *testing.T) {
	var c AssembledCache
	body := bytes.Repeat([]byte{'x'}, 1<<20)
	for i := range 200 {
		c.Put(fmt.Sprint(i), "e", []byte("{}"), body)
		if c.size > assembledCacheBytes {
			t.Fatalf("after %d bodies of 1 MiB the cache holds %d bytes; the bound is %d", i+1, c.size, assembledCacheBytes)
		}
	}
	c.Put("last", "e2", []byte("{}"), body)
	if got, ok := c.Get("last", "e2", []byte("{}")); !ok || len(got) != len(body) {
		t.Error("the body kept last is not served")
	}
	if _, ok := c.Get("last", "e1", []byte("{}")); ok {
		t.Error("a body is served for an ETag it was not kept with")
	}
	if _, ok := c.Get("last", "e2", []byte(`{"x":1}`)); ok {
		t.Error("a body is served for a record whose stored body is not the one it was kept with")
	}
	c.Put("huge", "e", []byte("{}"), make([]byte, assembledCacheBytes))
	if _, ok := c.Get("huge", "e", []byte("{}")); ok {
		t.Error("a body larger than a quarter of the bound was kept")
	}
}

func TestAssembleNestsInKeyOrder(t *testing.T) {
	parts := []Part{
		{Key: "a/0", Body: append(append([]byte(`{"m":`), PartsRef("a/0/m")...), '}')},
		{Key: "a/0/m/0", Body: []byte(`1`)},
		{Key: "a/0/m/1", Body: []byte(`2`)},
		{Key: "a/1", Body: []byte(`{}`)},
	}
	got, err := Assemble(append(append([]byte(`{"a":`), PartsRef("a")...), '}'), parts)
	if err != nil || string(got) != `{"a":[{"m":[1,2]},{}]}` {
		t.Fatalf("Assemble = %s, %v", got, err)
	}
	if _, err := Assemble([]byte(`{"a":"\/parts\/a`), nil); err == nil {
		t.Error("an unclosed reference assembled")
	}
	plain := []byte(`{"a":"/parts/a"}`)
	if got, err := Assemble(plain, parts); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("a body without references changed: %s, %v", got, err)
	}
}
