package memory_test

import (
	"testing"

	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/memory"
	"github.com/caravan-dev/caravan/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{New: func(t *testing.T) store.Store { return memory.New() }})
}
