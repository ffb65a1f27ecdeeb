package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
)

// profiles writes the profiles Options ask for, one set per scenario.
type profiles struct {
	cpuPath, heapPath string
	cpu               *os.File
}

// profilePath is path, or with several scenarios path with the
// scenario's name before its extension.
func profilePath(path, scenario string, several bool) string {
	if path == "" || !several {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + scenario + ext
}

// start begins the CPU profile.
func (p *profiles) start() error {
	if p.cpuPath == "" {
		return nil
	}
	f, err := os.Create(p.cpuPath)
	if err != nil {
		return fmt.Errorf("error creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("error starting the CPU profile: %w", err)
	}
	p.cpu = f
	return nil
}

// stop ends the CPU profile and writes the heap profile; calling it
// again does nothing.
func (p *profiles) stop() error {
	if p.cpu != nil {
		pprof.StopCPUProfile()
		if err := p.cpu.Close(); err != nil {
			return fmt.Errorf("error writing the CPU profile: %w", err)
		}
		p.cpu = nil
	}
	if p.heapPath == "" {
		return nil
	}
	path := p.heapPath
	p.heapPath = "" // written once
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("error creating the heap profile: %w", err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return fmt.Errorf("error writing the heap profile: %w", err)
	}
	return f.Close()
}
