{{/* Labels every object of the chart carries on top of those the kustomize tree sets. */}}
{{- define "laneway.chartLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
