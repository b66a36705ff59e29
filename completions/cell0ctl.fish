# fish completion for cell0ctl(1), the operations toolkit for Cell 0 OS.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installed as <datadir>/fish/vendor_completions.d/cell0ctl.fish. Check ids and groups come
# from `cell0ctl doctor --list --format json`, run at completion time with the binary being
# completed; the list below is used when that fails.

set -g __cell0ctl_static_checks home.exists install.stack install.node install.python \
    install.python-env install.cell0d-imports config.parse config.auth config.bind config.model \
    perms.home perms.secrets perms.tpv-store process.gateway process.cell0d process.pidfile \
    ports.gateway ports.portal ports.cell0d ports.websocket ports.metrics ports.ollama \
    ports.signal gateway.health cell0d.health cell0d.deep cell0d.ready metrics.series \
    ollama.reachable ollama.model-present signal.health resources.disk resources.memory \
    resources.cpu resources.open-files data.memory-vectors data.sessions data.logs \
    data.audit-db

# Options that take a value in the next word.
set -g __cell0ctl_value_options --config --cell0-home --format --color --log-format \
    --endpoint --skip --fail-on --timeout

# The command given on the line so far (doctor), or nothing.
function __cell0ctl_command
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l previous ''
    for token in $tokens
        if test "$token" = doctor; and not contains -- "$previous" $__cell0ctl_value_options
            echo $token
            return 0
        end
        set previous $token
    end
    return 1
end

function __cell0ctl_needs_command
    not __cell0ctl_command >/dev/null
end

function __cell0ctl_in_doctor
    set -l command (__cell0ctl_command)
    test "$command" = doctor
end

# Group names, then check ids, each with a description, one per line.
function __cell0ctl_checks
    set -l bin (commandline -opc)[1]
    command -q -- $bin; or set bin cell0ctl
    set -l json (command $bin doctor --list --format json 2>/dev/null)
    set -l listed $status
    set -l ids
    set -l groups
    if test $listed -eq 0; and string match -q -- '*"id"*' $json
        # No jq: cut the JSON at commas, match each "id" and "group" member.
        set -l items (string split , -- $json)
        set ids (string replace -rf -- '.*"id": *"([^"]+)".*' '$1' $items)
        set groups (string replace -rf -- '.*"group": *"([^"]+)".*' '$1' $items)
    end
    if not set -q ids[1]
        set ids $__cell0ctl_static_checks
        set groups (string replace -r -- '\..*' '' $ids)
    end
    set -l unique
    for group in $groups
        contains -- $group $unique; or set -a unique $group
    end
    printf '%s\tgroup of checks\n' $unique
    printf '%s\tcheck\n' $ids
end

# Values of --skip: a comma-separated list, completed at its last element.
function __cell0ctl_skip_values
    set -l token (commandline -ct | string replace -r -- '^--skip=' '')
    set -l head ''
    if string match -q -- '*,*' $token
        set head (string replace -r -- '[^,]*$' '' $token)
    end
    for line in (__cell0ctl_checks)
        echo $head$line
    end
end

# NAME= for --endpoint, then the service's default URL.
function __cell0ctl_endpoints
    set -l token (commandline -ct | string replace -r -- '^--endpoint=' '')
    set -l names gateway portal cell0d websocket metrics ollama signal
    set -l ports 18789 18790 18800 18801 18802 11434 8080
    set -l what 'Node gateway, HTTP and WebSocket' 'control portal' 'cell0d HTTP API' \
        'cell0d legacy JSON-RPC WebSocket' 'cell0d Prometheus exporter' Ollama \
        'signal-cli REST API'
    for i in (seq (count $names))
        if string match -q -- "$names[$i]=*" $token
            printf '%s=http://127.0.0.1:%s\tdefault URL\n' $names[$i] $ports[$i]
        else
            printf '%s=\t%s (%s)\n' $names[$i] $what[$i] $ports[$i]
        end
    end
end

complete -c cell0ctl -f

# Commands.
complete -c cell0ctl -n __cell0ctl_needs_command -a doctor \
    -d 'Find every problem of this Cell 0 installation'

# Global options, before or after the command.
complete -c cell0ctl -s h -l help -d 'Print help and exit'
complete -c cell0ctl -s V -l version -d 'Print the version and exit'
complete -c cell0ctl -l config -r -F -d 'cell0ctl configuration file (YAML)'
complete -c cell0ctl -l cell0-home -x -a '(__fish_complete_directories)' \
    -d 'Cell 0 home (default: $CELL0_STATE_DIR, ~/.cell0)'
complete -c cell0ctl -l format -x -a 'text json junit' -d 'Output format'
complete -c cell0ctl -l color -x -a 'auto always never' -d 'Colour the output'
complete -c cell0ctl -s q -l quiet -d 'Print only problems and errors'
complete -c cell0ctl -s v -l verbose -d 'Say where every value came from (-vv: more)'
complete -c cell0ctl -l log-format -x -a 'text json' -d 'Log lines on stderr: text or json'
complete -c cell0ctl -l endpoint -x -a '(__cell0ctl_endpoints)' \
    -d 'Override an endpoint: NAME=URL'
complete -c cell0ctl -l show-secrets -d 'Show secret values instead of *** and a fingerprint'

# doctor
complete -c cell0ctl -n __cell0ctl_in_doctor -l list -d 'List the checks instead of running them'
complete -c cell0ctl -n __cell0ctl_in_doctor -l skip -x -a '(__cell0ctl_skip_values)' \
    -d 'Checks or groups not to run'
complete -c cell0ctl -n __cell0ctl_in_doctor -l fail-on -x -a 'warn fail' \
    -d 'Exit non-zero from this status up'
complete -c cell0ctl -n __cell0ctl_in_doctor -l timeout -x -a '500ms 1s 2s 5s 10s 30s' \
    -d 'Deadline of every check and of the whole run'
complete -c cell0ctl -n __cell0ctl_in_doctor -a '(__cell0ctl_checks)'
