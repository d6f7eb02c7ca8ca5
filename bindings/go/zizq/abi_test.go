package zizq

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// abiDescription is the part of ABIDescription these tests read.
type abiDescription struct {
	Statuses []struct {
		Name     string `json:"name"`
		Category string `json:"category"`
		Value    int    `json:"value"`
	} `json:"statuses"`
	WorkerStats []string `json:"worker_stats"`
	ClientStats []string `json:"client_stats"`
}

func description(t *testing.T) abiDescription {
	t.Helper()
	var d abiDescription
	if err := json.Unmarshal([]byte(ABIDescription()), &d); err != nil {
		t.Fatalf("the ABI description is not JSON: %v", err)
	}
	if len(d.Statuses) == 0 || len(d.WorkerStats) == 0 {
		t.Fatalf("the ABI description lists no statuses or stats keys")
	}
	return d
}

// WorkerStats and ClientStats have exactly one field per key of the core's
// stats documents, so that a counter added to the core is not lost.
func TestStatsFieldsAreTheDescribedKeys(t *testing.T) {
	d := description(t)
	for _, c := range []struct {
		value any
		keys  []string
	}{{WorkerStats{}, d.WorkerStats}, {ClientStats{}, d.ClientStats}} {
		var fields []string
		typ := reflect.TypeOf(c.value)
		for i := 0; i < typ.NumField(); i++ {
			fields = append(fields, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
		}
		keys := append([]string(nil), c.keys...)
		sort.Strings(fields)
		sort.Strings(keys)
		if len(keys) == 0 || !reflect.DeepEqual(fields, keys) {
			t.Fatalf("%s fields %v, the core's stats keys %v", typ.Name(), fields, keys)
		}
	}
}

// Every status has a Status constant, and every failure an Err sentinel that
// errors.Is matches (ZIZQ_E_NULL_ARG is matched by ErrInvalidArgument).
func TestStatusesHaveConstantsAndSentinels(t *testing.T) {
	constants, sentinels := statusDeclarations(t)
	for _, s := range description(t).Statuses {
		if s.Name == "ZIZQ_OK" {
			continue
		}
		goName, found := constants[s.Name]
		if !found {
			t.Errorf("%s has no Status constant in errors.go", s.Name)
			continue
		}
		if Status(s.Value).String() != s.Name {
			t.Errorf("%s: Status(%d) is %s", goName, s.Value, Status(s.Value))
		}
		e := &Error{Code: Status(s.Value)}
		if s.Category == "ok" { // ZIZQ_PENDING: not a failure
			continue
		}
		if !sentinels[goName] && !errors.Is(e, ErrInvalidArgument) {
			t.Errorf("%s (%s) has no Err sentinel in errors.go", s.Name, goName)
		}
	}
}

// statusDeclarations reads errors.go: its Status constants by C name
// (StatusNotFound Status = C.ZIZQ_E_NOT_FOUND), and the constants that a
// sentinel(...) is made of.
func statusDeclarations(t *testing.T) (map[string]string, map[string]bool) {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	constants, sentinels := map[string]string{}, map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, v := range n.Values {
				if sel, ok := v.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "ZIZQ_") {
					constants[sel.Sel.Name] = n.Names[i].Name
				}
			}
		case *ast.CallExpr:
			if fn, ok := n.Fun.(*ast.Ident); ok && fn.Name == "sentinel" && len(n.Args) == 1 {
				if arg, ok := n.Args[0].(*ast.Ident); ok {
					sentinels[arg.Name] = true
				}
			}
		}
		return true
	})
	return constants, sentinels
}
