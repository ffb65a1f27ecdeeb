package simcloud

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/maintenance"
)

// maintenanceConfigJSON is a managedClusters/maintenanceConfigurations
// resource in ARM's shape. The simulator keeps only maintenanceWindow;
// the legacy timeInWeek and notAllowedTime of the "default"
// configuration are not served.
type maintenanceConfigJSON struct {
	ID         string                     `json:"id,omitempty"`
	Name       string                     `json:"name,omitempty"`
	Type       string                     `json:"type,omitempty"`
	Properties *maintenancePropertiesJSON `json:"properties"`
}

type maintenancePropertiesJSON struct {
	MaintenanceWindow *maintenance.Window `json:"maintenanceWindow"`
}

const maintenanceConfigType = "Microsoft.ContainerService/managedClusters/maintenanceConfigurations"

// maintenanceNames are the configurations the simulator serves.
var maintenanceNames = []string{maintenance.AutoUpgradeSchedule, maintenance.NodeOSUpgradeSchedule}

// maintenanceName returns the canonical spelling of a configuration name,
// or an error naming the ones served.
func maintenanceName(name string) (string, *FieldError) {
	for _, n := range maintenanceNames {
		if strings.EqualFold(n, name) {
			return n, nil
		}
	}
	return "", &FieldError{Field: "name", Message: fmt.Sprintf("%q is not a maintenance configuration the simulator serves; use %s (the legacy \"default\" configuration is not served)", name, strings.Join(maintenanceNames, " or "))}
}

// checkWindow validates a maintenance window, as a field error.
func checkWindow(w *maintenance.Window) *FieldError {
	if w == nil {
		return &FieldError{Field: "properties.maintenanceWindow", Message: "properties.maintenanceWindow is missing; give a schedule, durationHours and startTime"}
	}
	if err := w.Validate(); err != nil {
		return &FieldError{Field: "properties.maintenanceWindow", Message: err.Error()}
	}
	return nil
}

func (c *cluster) maintenanceToARM(name string) *maintenanceConfigJSON {
	w := c.windows[name]
	return &maintenanceConfigJSON{
		ID:         c.id + "/maintenanceConfigurations/" + name,
		Name:       name,
		Type:       maintenanceConfigType,
		Properties: &maintenancePropertiesJSON{MaintenanceWindow: &w},
	}
}

func maintenanceNotFound(q *request) *armError {
	return notFound("The maintenance configuration '%s' of managed cluster '%s' under resource group '%s' was not found.", q.rt.config, q.rt.cluster, q.rt.rg)
}

func (cl *Cloud) getMaintenance(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	name, fe := maintenanceName(q.rt.config)
	if fe != nil {
		return nil, maintenanceNotFound(q)
	}
	if _, ok := c.windows[name]; !ok {
		return nil, maintenanceNotFound(q)
	}
	return &reply{status: http.StatusOK, body: c.maintenanceToARM(name)}, nil
}

func (cl *Cloud) listMaintenance(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	list := listJSON[*maintenanceConfigJSON]{Value: []*maintenanceConfigJSON{}}
	for _, name := range slices.Sorted(maps.Keys(c.windows)) {
		list.Value = append(list.Value, c.maintenanceToARM(name))
	}
	return &reply{status: http.StatusOK, body: list}, nil
}

// putMaintenance creates or replaces a configuration. As in AKS, it is
// not an operation: it answers 200 with the resource, and a cluster busy
// with an upgrade accepts it.
func (cl *Cloud) putMaintenance(q *request) (*reply, *armError) {
	name, fe := maintenanceName(q.rt.config)
	if fe != nil {
		return nil, invalidParameter("name", "%s", fe.Message)
	}
	var body maintenanceConfigJSON
	if aerr := decodeBody(q.r, &body); aerr != nil {
		return nil, aerr
	}
	var w *maintenance.Window
	if body.Properties != nil {
		w = body.Properties.MaintenanceWindow
	}
	if fe := checkWindow(w); fe != nil {
		return nil, invalidParameter(fe.Field, "%s", fe.Message)
	}
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	if c.windows == nil {
		c.windows = map[string]maintenance.Window{}
	}
	c.windows[name] = *w
	return &reply{status: http.StatusOK, body: c.maintenanceToARM(name)}, nil
}

// deleteMaintenance removes a configuration: 200 when it existed, 204
// when it did not.
func (cl *Cloud) deleteMaintenance(q *request) (*reply, *armError) {
	c, aerr := cl.lockCluster(q)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	name, fe := maintenanceName(q.rt.config)
	if fe != nil {
		return &reply{status: http.StatusNoContent}, nil
	}
	if _, ok := c.windows[name]; !ok {
		return &reply{status: http.StatusNoContent}, nil
	}
	delete(c.windows, name)
	return &reply{status: http.StatusOK}, nil
}
