{{/* Labels every object carries (deploy/kubernetes: the object's own plus kustomize's part-of). */}}
{{- define "ktrail.labels" -}}
app.kubernetes.io/name: ktrail
app.kubernetes.io/part-of: ktrail
{{- end }}

{{/* The metrics port, from metrics.listen ("host:port", "[v6]:port"). */}}
{{- define "ktrail.metricsPort" -}}
{{- $listen := .Values.metrics.listen | toString -}}
{{- if not (regexMatch "^(\\[[0-9A-Fa-f:.]+\\]|[^:\\[\\]]+):[0-9]+$" $listen) -}}
{{- fail (printf "metrics.listen %q: expected host:port, e.g. 0.0.0.0:9464 or 127.0.0.1:9464" $listen) -}}
{{- end -}}
{{- regexFind "[0-9]+$" $listen -}}
{{- end }}

{{/* "true" when metrics.listen is a loopback address: nothing outside the container can reach it. */}}
{{- define "ktrail.metricsLoopback" -}}
{{- $host := regexReplaceAll ":[0-9]+$" (.Values.metrics.listen | toString) "" -}}
{{- if or (hasPrefix "127." $host) (eq $host "localhost") (eq $host "[::1]") -}}true{{- end -}}
{{- end }}

{{/* Fails the render for combinations that would deploy something that silently does not work. */}}
{{- define "ktrail.checks" -}}
{{- if hasKey .Values.config "http" -}}
{{- fail "config.http: set metrics.listen instead (the chart derives http.listen, the container port and the probes from it)" -}}
{{- end -}}
{{- if and (not (include "ktrail.metricsLoopback" .)) (not .Values.networkPolicy.create) (not .Values.metrics.allowWithoutNetworkPolicy) -}}
{{- fail (printf "metrics.listen %s is reachable from other pods, and networkPolicy.create is false: enable the NetworkPolicy, listen on 127.0.0.1:<port>, or set metrics.allowWithoutNetworkPolicy=true" .Values.metrics.listen) -}}
{{- end -}}
{{- $sink := dig "output" "sink" "stdout" .Values.config -}}
{{- if and .Values.networkPolicy.create (eq $sink "otlp") (empty .Values.networkPolicy.otlp.to) -}}
{{- fail "config.output.sink is otlp but networkPolicy.otlp.to is empty: the NetworkPolicy would block the collector. Set networkPolicy.otlp.to (the collector's namespaceSelector/podSelector or ipBlock)" -}}
{{- end -}}
{{- $forwarded := dig "proxy" "forwarded" list .Values.config -}}
{{- if and .Values.networkPolicy.create (or (eq $sink "forward") $forwarded) (empty .Values.networkPolicy.kafka.to) -}}
{{- fail "config.output.sink is forward or config.proxy.forwarded is set, but networkPolicy.kafka.to is empty: the NetworkPolicy would block Kafka. Set networkPolicy.kafka.to (the event cluster's brokers: namespaceSelector/podSelector or ipBlock)" -}}
{{- end -}}
{{- end }}
