// psa-check evaluates the pod template of each workload in a YAML stream (stdin) against the
// Kubernetes Pod Security Standards, with the evaluator the API server's PodSecurity admission
// plugin uses (k8s.io/pod-security-admission/policy). It prints one JSON object per workload:
// {"kind","name","level","allowed","violations":[{"reason","detail"}]} for baseline and restricted.
// deploy/manifests.test.ts runs it to check the namespace's Pod Security label is the truthful one.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type violation struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

type result struct {
	Kind       string      `json:"kind"`
	Name       string      `json:"name"`
	Level      string      `json:"level"`
	Allowed    bool        `json:"allowed"`
	Violations []violation `json:"violations"`
}

func main() {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fail(err)
	}
	dec := yaml.NewYAMLOrJSONDecoder(bufio.NewReader(os.Stdin), 4096)
	out := json.NewEncoder(os.Stdout)
	for {
		var ds appsv1.DaemonSet
		if err := dec.Decode(&ds); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			fail(err)
		}
		if ds.Kind != "DaemonSet" {
			continue
		}
		for _, level := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
			lv := api.LevelVersion{Level: level, Version: api.LatestVersion()}
			r := result{Kind: ds.Kind, Name: ds.Name, Level: string(level), Allowed: true, Violations: []violation{}}
			for _, c := range evaluator.EvaluatePod(lv, &ds.Spec.Template.ObjectMeta, &ds.Spec.Template.Spec) {
				if !c.Allowed {
					r.Allowed = false
					r.Violations = append(r.Violations, violation{Reason: c.ForbiddenReason, Detail: c.ForbiddenDetail})
				}
			}
			if err := out.Encode(r); err != nil {
				fail(err)
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "psa-check:", err)
	os.Exit(1)
}
