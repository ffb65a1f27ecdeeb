package simcloud

import (
	"io"
	"net/http"
	"slices"
)

// catalogView is the catalog as GET /simulator/catalog shows it: what each
// region offers, sorted, with its newest image per family.
type catalogView struct {
	Regions []regionView `json:"regions"`
}

type regionView struct {
	Name               string            `json:"name"`
	KubernetesVersions []string          `json:"kubernetesVersions"`
	NodeImages         []string          `json:"nodeImages"`
	LatestNodeImages   map[string]string `json:"latestNodeImages"`
}

// publishRequest is the body of POST /simulator/publish.
type publishRequest struct {
	KubernetesVersions []string `json:"kubernetesVersions"`
	NodeImages         []string `json:"nodeImages"`
	Regions            []string `json:"regions"`
}

// seedResponse is the answer to POST /simulator/seed.
type seedResponse struct {
	Created  int      `json:"created"`
	Clusters []string `json:"clusters"`
}

// serveSimulator serves the /simulator/ JSON API.
func (cl *Cloud) serveSimulator(w http.ResponseWriter, r *http.Request, rt route) {
	methodNotAllowed := func() {
		writeARMError(w, newARMError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"The method %s is not supported on %s.", r.Method, r.URL.Path))
	}
	switch rt.sim {
	case "operations":
		if r.Method != http.MethodGet {
			methodNotAllowed()
			return
		}
		q := r.URL.Query()
		writeJSON(w, http.StatusOK, cl.Operations(OperationFilter{Cluster: q.Get("cluster"), Kind: OperationKind(q.Get("kind"))}))
	case "catalog":
		if r.Method != http.MethodGet {
			methodNotAllowed()
			return
		}
		writeJSON(w, http.StatusOK, cl.catalogView())
	case "publish":
		if r.Method != http.MethodPost {
			methodNotAllowed()
			return
		}
		var req publishRequest
		if aerr := decodeBody(r, &req); aerr != nil {
			writeARMError(w, aerr)
			return
		}
		if err := cl.publish(req.KubernetesVersions, req.NodeImages, req.Regions); err != nil {
			writeARMError(w, badRequest(CodeInvalidParameter, "%v", err))
			return
		}
		writeJSON(w, http.StatusOK, cl.catalogView())
	case "seed", "clusters":
		if r.Method != http.MethodPost {
			methodNotAllowed()
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			writeARMError(w, badRequest(CodeInvalidRequestContent, "The request body could not be read: %v.", err))
			return
		}
		seed, err := ParseSeed(body)
		if err != nil {
			writeARMError(w, badRequest(CodeInvalidParameter, "%v", err))
			return
		}
		ids, err := cl.CreateClusters(seed)
		if err != nil {
			writeARMError(w, badRequest(CodeInvalidParameter, "%v", err))
			return
		}
		writeJSON(w, http.StatusCreated, seedResponse{Created: len(ids), Clusters: ids})
	default:
		writeARMError(w, newARMError(http.StatusNotFound, CodeNotFound,
			"The simulator serves /simulator/operations, /simulator/catalog, /simulator/publish and /simulator/seed (or /simulator/clusters); %s is none of them.", r.URL.Path))
	}
}

func (cl *Cloud) catalogView() catalogView {
	idx := cl.catalog.Load()
	view := catalogView{Regions: []regionView{}}
	for _, name := range idx.regionNames() {
		ri := idx.regions[name]
		rv := regionView{Name: name, KubernetesVersions: ri.versionStrings(), NodeImages: []string{}, LatestNodeImages: map[string]string{}}
		families := make([]string, 0, len(ri.images))
		for f := range ri.images {
			families = append(families, f)
		}
		slices.Sort(families)
		for _, f := range families {
			for _, img := range ri.images[f] {
				rv.NodeImages = append(rv.NodeImages, img.String())
			}
			latest, _ := ri.latestImage(f)
			rv.LatestNodeImages[f] = latest.String()
		}
		view.Regions = append(view.Regions, rv)
	}
	return view
}
