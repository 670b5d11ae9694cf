{{/* Chart name, truncated to a DNS label. */}}
{{- define "pipelock.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name: the release name when it already contains the chart's name. */}}
{{- define "pipelock.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pipelock.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pipelock.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pipelock.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pipelock.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "pipelock.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pipelock.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pipelock.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* pipelock.yaml: the values' config with the listeners the chart's ports need. */}}
{{- define "pipelock.config" -}}
{{- $cfg := deepCopy .Values.pipelock }}
{{- $fp := deepCopy (default (dict) (get $cfg "fetch_proxy")) }}
{{- $_ := set $fp "listen" (printf "0.0.0.0:%v" .Values.service.port) }}
{{- $_ := set $cfg "fetch_proxy" $fp }}
{{- $_ := set $cfg "metrics_listen" (printf "0.0.0.0:%v" .Values.service.metricsPort) }}
{{- if .Values.killSwitch.api.enabled }}
{{- $ks := deepCopy (default (dict) (get $cfg "kill_switch")) }}
{{- $_ := set $ks "api_listen" (printf "0.0.0.0:%v" .Values.killSwitch.api.port) }}
{{- $_ := set $cfg "kill_switch" $ks }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}
