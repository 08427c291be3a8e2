// Package deploy_test checks the deployment files offline: the Kubernetes manifests are
// rendered with kustomize and decoded strictly into the Kubernetes API types (an unknown
// or misplaced field fails), then checked against what the binary serves and reads; the
// compose file and the Dockerfile are checked, and the Dockerfile's build command is run.
package deploy_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// documented are the settings of the README's configuration table.
func documented(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	s := string(b)
	i, j := strings.Index(s, "<!-- settings:begin"), strings.Index(s, "<!-- settings:end -->")
	require.True(t, i >= 0 && j > i)
	out := map[string]bool{}
	for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`").FindAllStringSubmatch(s[i:j], -1) {
		out[m[1]] = true
	}
	require.Greater(t, len(out), 30)
	return out
}

// objects is one rendered kustomization, decoded strictly, by kind.
type objects struct {
	deployment appsv1.Deployment
	service    corev1.Service
	ingress    networkingv1.Ingress
	config     corev1.ConfigMap
	secret     corev1.Secret
	job        batchv1.Job
	pdb        policyv1.PodDisruptionBudget
	hpa        autoscalingv2.HorizontalPodAutoscaler
	namespaces []corev1.Namespace
}

func render(t *testing.T, dir string) objects {
	t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	require.NoError(t, err, "kustomize build %s", dir)
	var o objects
	seen := map[string]int{}
	for _, r := range res.Resources() {
		y, err := r.AsYAML()
		require.NoError(t, err)
		kind := r.GetKind()
		seen[kind]++
		var target any
		switch kind {
		case "Deployment":
			target = &o.deployment
		case "Service":
			target = &o.service
		case "Ingress":
			target = &o.ingress
		case "ConfigMap":
			target = &o.config
		case "Secret":
			target = &o.secret
		case "Job":
			target = &o.job
		case "PodDisruptionBudget":
			target = &o.pdb
		case "HorizontalPodAutoscaler":
			target = &o.hpa
		case "Namespace":
			o.namespaces = append(o.namespaces, corev1.Namespace{})
			target = &o.namespaces[len(o.namespaces)-1]
		default:
			t.Fatalf("%s: unexpected kind %s", dir, kind)
		}
		require.NoError(t, sigsyaml.UnmarshalStrict(y, target), "%s: %s %s does not decode strictly", dir, kind, r.GetName())
	}
	for _, k := range []string{"Deployment", "Service", "Ingress", "ConfigMap", "Secret", "Job", "PodDisruptionBudget", "HorizontalPodAutoscaler"} {
		require.Equal(t, 1, seen[k], "%s: one %s", dir, k)
	}
	return o
}

func dur(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	require.NoError(t, err, s)
	return d
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	docs := documented(t)
	for _, tc := range []struct {
		dir      string
		replicas int32
	}{{"k8s/base", 2}, {"k8s/overlays/example", 3}} {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			o := render(t, tc.dir)
			d := o.deployment
			require.NotNil(t, d.Spec.Replicas)
			require.Equal(t, tc.replicas, *d.Spec.Replicas)
			require.Equal(t, int32(0), d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntVal, "a rollout never drops below the replicas")
			pod := d.Spec.Template.Spec
			require.True(t, *pod.SecurityContext.RunAsNonRoot)
			require.NotZero(t, *pod.SecurityContext.RunAsUser)
			require.Len(t, pod.Containers, 1)
			c := pod.Containers[0]
			require.Equal(t, []string{"serve"}, c.Args)
			require.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
			require.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
			require.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop)
			require.False(t, c.Resources.Requests.Cpu().IsZero())
			require.False(t, c.Resources.Requests.Memory().IsZero())
			require.False(t, c.Resources.Limits.Memory().IsZero())
			require.True(t, strings.HasPrefix(c.Image, "ghcr.io/whybot/whybot:"), c.Image)

			// the ports are where the ConfigMap tells the binary to listen
			ports := map[string]int32{}
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
			cfg := o.config.Data
			for name, setting := range map[string]string{"slack": "SLACK_LISTEN", "discord": "DISCORD_LISTEN", "web": "WHYBOT_WEB_LISTEN", "ops": "WHYBOT_OPS_LISTEN"} {
				require.Contains(t, ports, name)
				require.True(t, strings.HasSuffix(cfg[setting], ":"+strconv.Itoa(int(ports[name]))), "%s=%s vs port %s %d", setting, cfg[setting], name, ports[name])
			}
			// the probes ask what the binary serves on its ops address
			require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
			require.Equal(t, "ops", c.ReadinessProbe.HTTPGet.Port.StrVal)
			require.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
			require.Equal(t, "ops", c.LivenessProbe.HTTPGet.Port.StrVal)
			require.NotNil(t, c.StartupProbe)
			// drain + grace fit in the kill deadline
			budget := dur(t, cfg["WHYBOT_SHUTDOWN_DRAIN"]) + dur(t, cfg["WHYBOT_SHUTDOWN_GRACE"])
			require.Greater(t, time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second, budget)
			// the settings exist, and credentials are only in the Secret
			for k := range cfg {
				require.True(t, docs[k], "ConfigMap key %s is not a documented setting", k)
				require.NotContains(t, k, "TOKEN")
				require.NotContains(t, k, "SECRET")
				require.NotContains(t, k, "KEY")
			}
			for k := range o.secret.StringData {
				require.True(t, docs[k], "Secret key %s is not a documented setting", k)
			}
			require.Contains(t, o.secret.StringData, "DATABASE_URL")
			require.True(t, strings.HasPrefix(o.secret.StringData["DATABASE_URL"], "postgres://"))
			var from []string
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil {
					from = append(from, "cm:"+ef.ConfigMapRef.Name)
				}
				if ef.SecretRef != nil {
					from = append(from, "secret:"+ef.SecretRef.Name)
				}
			}
			require.ElementsMatch(t, []string{"cm:" + o.config.Name, "secret:" + o.secret.Name}, from)

			// the Service selects the pods and targets their named ports
			for k, v := range o.service.Spec.Selector {
				require.Equal(t, v, d.Spec.Template.Labels[k], "service selector %s", k)
			}
			svcPorts := map[string]bool{}
			for _, p := range o.service.Spec.Ports {
				require.Contains(t, ports, p.TargetPort.StrVal)
				svcPorts[p.Name] = true
			}
			// the Ingress routes Slack, Discord and the console, never the ops port
			routes := map[string]string{}
			for _, r := range o.ingress.Spec.Rules {
				for _, p := range r.HTTP.Paths {
					require.Equal(t, o.service.Name, p.Backend.Service.Name)
					require.True(t, svcPorts[p.Backend.Service.Port.Name])
					routes[p.Path] = p.Backend.Service.Port.Name
				}
			}
			require.Equal(t, map[string]string{"/slack": "slack", "/discord": "discord", "/": "web"}, routes)
			require.NotEmpty(t, o.ingress.Spec.TLS)

			// the migration Job runs the same image with the same settings
			jc := o.job.Spec.Template.Spec.Containers[0]
			require.Equal(t, []string{"migrate", "up"}, jc.Args)
			require.Equal(t, c.Image, jc.Image)
			require.Equal(t, c.EnvFrom, jc.EnvFrom)
			require.True(t, *o.job.Spec.Template.Spec.SecurityContext.RunAsNonRoot)

			// disruption budget and autoscaler keep at least two replicas serving
			require.Equal(t, int32(1), o.pdb.Spec.MinAvailable.IntVal)
			for k, v := range o.pdb.Spec.Selector.MatchLabels {
				require.Equal(t, v, d.Spec.Template.Labels[k])
			}
			require.Equal(t, d.Name, o.hpa.Spec.ScaleTargetRef.Name)
			require.Equal(t, "Deployment", o.hpa.Spec.ScaleTargetRef.Kind)
			require.GreaterOrEqual(t, *o.hpa.Spec.MinReplicas, int32(2))
			require.Equal(t, tc.replicas, *o.hpa.Spec.MinReplicas)
			require.Greater(t, o.hpa.Spec.MaxReplicas, *o.hpa.Spec.MinReplicas)
		})
	}
}

func TestCompose(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			EnvFile     []struct {
				Path     string `yaml:"path"`
				Required bool   `yaml:"required"`
			} `yaml:"env_file"`
			DependsOn map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck map[string]any `yaml:"healthcheck"`
			Volumes     []string       `yaml:"volumes"`
			ReadOnly    bool           `yaml:"read_only"`
			Build       map[string]any `yaml:"build"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	require.NoError(t, yaml.Unmarshal(b, &c))
	db, mig, app := c.Services["db"], c.Services["migrate"], c.Services["whybot"]
	require.True(t, strings.HasPrefix(db.Image, "pgvector/pgvector:"), db.Image)
	require.NotEmpty(t, db.Healthcheck)
	require.Contains(t, db.Volumes, "pgdata:/var/lib/postgresql/data")
	require.Contains(t, c.Volumes, "pgdata")
	require.Equal(t, []string{"migrate", "up"}, mig.Command)
	require.Equal(t, "service_healthy", mig.DependsOn["db"].Condition)
	require.Equal(t, "deploy/Dockerfile", mig.Build["dockerfile"])
	require.Equal(t, []string{"serve"}, app.Command)
	require.Equal(t, "service_completed_successfully", app.DependsOn["migrate"].Condition)
	docs := documented(t)
	for _, s := range []struct {
		name string
		env  map[string]string
		file []struct {
			Path     string `yaml:"path"`
			Required bool   `yaml:"required"`
		}
		ro bool
	}{{"migrate", mig.Environment, mig.EnvFile, mig.ReadOnly}, {"whybot", app.Environment, app.EnvFile, app.ReadOnly}} {
		require.True(t, strings.HasPrefix(s.env["DATABASE_URL"], "postgres://whybot:${POSTGRES_PASSWORD:?"), "%s: DATABASE_URL from the env file's password", s.name)
		require.Len(t, s.file, 1)
		require.Equal(t, ".env", s.file[0].Path)
		require.True(t, s.file[0].Required)
		require.True(t, s.ro, "%s: read-only root filesystem", s.name)
		for k := range s.env {
			require.True(t, docs[k], "%s: %s is not a documented setting", s.name, k)
		}
	}
	// the env file is git-ignored; its documented example names only real settings
	gi, err := os.ReadFile("../.gitignore")
	require.NoError(t, err)
	require.Contains(t, string(gi), "/deploy/.env\n")
	ex, err := os.ReadFile("env.example")
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(string(ex), "\n") {
		k, _, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		require.True(t, docs[k] || k == "POSTGRES_PASSWORD", "env.example: %s is not a documented setting", k)
	}
	require.Greater(t, n, 5)
}

// TestDockerfile checks the image's shape and runs its build command: the binary it makes
// is static and reports the version and commit given as build arguments.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	require.Len(t, froms, 2, "multi-stage: build, then run")
	require.Equal(t, "gcr.io/distroless/static-debian12:nonroot", froms[1][1])
	require.Regexp(t, `(?m)^USER 65532:65532$`, df)
	require.Regexp(t, `(?m)^HEALTHCHECK .*CMD \["/whybot", "health"\]$`, df)
	require.Regexp(t, `(?m)^ARG VERSION=`, df)
	require.Regexp(t, `(?m)^ARG COMMIT=`, df)
	require.Regexp(t, `(?m)^ENTRYPOINT \["/whybot"\]$`, df)
	build := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*)$`).FindStringSubmatch(df)
	require.NotNil(t, build, "the build stage's go build line")

	out := filepath.Join(t.TempDir(), "whybot")
	line := strings.NewReplacer("${VERSION}", "v9.9.9", "${COMMIT}", "abc1234", "/out/whybot", out, "./cmd/whybot", "../cmd/whybot").Replace(build[1])
	line = strings.TrimPrefix(line, "CGO_ENABLED=0 ")
	args := splitArgs(line)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	o, err := cmd.CombinedOutput()
	require.NoError(t, err, string(o))
	v, err := exec.Command(out, "version").Output()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(v), "whybot v9.9.9 (commit abc1234, go"), string(v))
	f, err := elf.Open(out)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		require.NotEqual(t, elf.PT_INTERP, p.Type, "the binary must be static: it runs on distroless/static")
	}
}

// splitArgs splits a shell command line with double-quoted words (the Dockerfile's).
func splitArgs(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`"([^"]*)"|(\S+)`).FindAllStringSubmatch(s, -1) {
		if m[2] != "" {
			out = append(out, m[2])
		} else {
			out = append(out, m[1])
		}
	}
	return out
}
