# fish completion for cell0ctl(1), the operations toolkit for Cell 0 OS.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installed as <datadir>/fish/vendor_completions.d/cell0ctl.fish. Check ids and groups come
# from `cell0ctl doctor --list --format json`, run at completion time with the binary being
# completed; the list below is used when that fails. Snapshot ids come from
# `cell0ctl --format json backup list`, with the --repo, --s3-endpoint, --s3-region and
# --config of the line (and --lock-wait 0: a TAB never waits for a repository's lock).

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
    --endpoint --skip --fail-on --timeout --repo --lock-wait --s3-endpoint --s3-region \
    --include --exclude --compression \
    --metrics-file --age-recipient --age-recipients-file --age-identity --kind --full-every \
    --scratch --keep-last --keep-hourly --keep-daily --keep-weekly --keep-monthly --keep-yearly \
    --max-age --max-untested --at --to --only \
    --schema --ref-map --schema-dir --default-draft --env-file --export-schema

# The command given on the line so far (doctor, validate-config, backup, restore), or nothing.
function __cell0ctl_command
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l previous ''
    for token in $tokens
        if contains -- $token doctor validate-config backup restore
            and not contains -- "$previous" $__cell0ctl_value_options
            echo $token
            return 0
        end
        set previous $token
    end
    return 1
end

# Whether the command is $argv[1].
function __cell0ctl_in
    set -l command (__cell0ctl_command)
    test "$command" = "$argv[1]"
end

# backup's subcommand given on the line so far (list, verify, prune, copy, status), or nothing.
function __cell0ctl_backup_subcommand
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l previous ''
    set -l in_backup 0
    for token in $tokens
        if not contains -- "$previous" $__cell0ctl_value_options
            if test $in_backup = 1; and contains -- $token list verify prune copy status
                echo $token
                return 0
            end
            test "$token" = backup; and set in_backup 1
        end
        set previous $token
    end
    return 1
end

# Whether the line is in backup, without a subcommand yet.
function __cell0ctl_in_backup_only
    __cell0ctl_in backup; and not __cell0ctl_backup_subcommand >/dev/null
end

# Whether the line is in `backup $argv[1]`: list, verify, prune, copy or status.
function __cell0ctl_in_backup
    set -l subcommand (__cell0ctl_backup_subcommand)
    test "$subcommand" = "$argv[1]"
end

# The value of the last option $argv[1] on the line (`--opt value` or `--opt=value`), ~ expanded.
function __cell0ctl_option_value
    set -l tokens (commandline -opc)
    set -l value
    for i in (seq 2 (count $tokens))
        if test "$tokens[$i]" = $argv[1]; and test $i -lt (count $tokens)
            set value $tokens[(math $i + 1)]
        else if string match -q -- "$argv[1]=*" $tokens[$i]
            set value (string replace -- "$argv[1]=" '' $tokens[$i])
        end
    end
    set -q value[1]; or return 1
    set value (string replace -r -- '^~/' "$HOME/" $value)
    printf '%s\n' $value
end

# Whether restore --only is taking words: the last option on the line is --only.
function __cell0ctl_after_only
    set -l tokens (commandline -opc)
    for token in $tokens[-1..2]
        if string match -q -- '-*' $token
            test "$token" = --only
            return
        end
    end
    return 1
end

# `latest`, then the snapshot ids of the repository, newest first.
function __cell0ctl_snapshots
    set -l bin (commandline -opc)[1]
    command -q -- $bin; or set bin cell0ctl
    set -l args --lock-wait 0
    set -l value (__cell0ctl_option_value --repo); and set -a args --repo $value
    set value (__cell0ctl_option_value --s3-endpoint); and set -a args --s3-endpoint $value
    set value (__cell0ctl_option_value --s3-region); and set -a args --s3-region $value
    set value (__cell0ctl_option_value --config); and set -a args --config $value
    printf 'latest\tthe newest snapshot\n'
    set -l json (command $bin --format json backup list $args 2>/dev/null); or return 0
    # No jq: cut the JSON at commas, match each "id" and "time" member.
    set -l items (string split , -- $json)
    set -l ids (string replace -rf -- '.*"id": *"([^"]+)".*' '$1' $items)
    set -l times (string replace -rf -- '.*"time": *"([^"]+)".*' '$1' $items)
    for i in (seq (count $ids) -1 1)
        printf '%s\t%s\n' $ids[$i] $times[$i]
    end
end

# Paths of the Cell 0 home, for restore --only: relative to the home (--cell0-home of the
# line, $CELL0_STATE_DIR or ~/.cell0), not to the working directory. With --to they are paths
# of the snapshot, which only the archive knows: nothing is offered.
function __cell0ctl_home_paths
    __cell0ctl_option_value --to >/dev/null; and return 0
    set -l home (__cell0ctl_option_value --cell0-home)
    or set home $CELL0_STATE_DIR
    test -n "$home"; or set home $HOME/.cell0
    test -d "$home"; or return 0
    set -l token (commandline -ct | string replace -r -- '^--only=' '')
    set -l folder (string replace -r -- '[^/]*$' '' $token)
    for path in $home/$folder*
        set -l relative (string replace -- "$home/" '' $path)
        if test -d $path
            echo $relative/
        else
            echo $relative
        end
    end
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
complete -c cell0ctl -n __cell0ctl_needs_command -a validate-config \
    -d 'Check configuration files, errors at file:line:col'
complete -c cell0ctl -n __cell0ctl_needs_command -a backup \
    -d "Back up Cell 0's state into a repository"
complete -c cell0ctl -n __cell0ctl_needs_command -a restore \
    -d "Restore Cell 0's state from a snapshot"

# Global options, before or after the command.
complete -c cell0ctl -s h -l help -d 'Print help and exit'
complete -c cell0ctl -s V -l version -d 'Print the version and exit'
complete -c cell0ctl -l config -r -F -d 'cell0ctl configuration file (YAML)'
complete -c cell0ctl -l cell0-home -x -a '(__fish_complete_directories)' \
    -d 'Cell 0 home (default: $CELL0_STATE_DIR, ~/.cell0)'
complete -c cell0ctl -n 'not __cell0ctl_in backup; and not __cell0ctl_in restore; and not __cell0ctl_in validate-config' \
    -l format -x -a 'text json junit' -d 'Output format'
complete -c cell0ctl -n '__cell0ctl_in validate-config' \
    -l format -x -a 'text json github junit sarif' -d 'Output format'
complete -c cell0ctl -n '__cell0ctl_in backup; or __cell0ctl_in restore' \
    -l format -x -a 'text json' -d 'Output format'
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

# validate-config
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l schema -r -F \
    -d 'Validate every file against this JSON Schema'
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l ref-map -x \
    -d 'Resolve remote $refs below URL-PREFIX from DIR: URL-PREFIX=DIR'
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l schema-dir -x \
    -a '(__fish_complete_directories)' -d 'Resolve $refs to the $ids of schemas in DIR'
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l default-draft -x -a '2020-12 7' \
    -d 'Draft of schemas without $schema'
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l strict -d 'Fail (exit 2) on warnings too'
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l strict-formats \
    -d 'Make format an assertion'
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l kind -x \
    -a 'alert-rules alertmanager app-config cell0.json docker-compose dotenv google-chat-config grafana-dashboard grafana-provisioning helm-chart helm-template helm-values k8s-manifest loki prometheus promtail python-config signal-config skill tool-profiles' -d 'Check every file as this kind'
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l env-file -r -F \
    -d 'Variables that ${VAR} references may use'
complete -c cell0ctl -n '__cell0ctl_in validate-config' -l export-schema -x \
    -a 'alert-rules alertmanager app-config cell0.json docker-compose dotenv google-chat-config grafana-dashboard grafana-provisioning helm-chart helm-values k8s-manifest loki prometheus promtail python-config signal-config skill tool-profiles' -d 'Print the JSON Schema of KIND'
complete -c cell0ctl -n '__cell0ctl_in validate-config; and not __fish_prev_arg_in $__cell0ctl_value_options' -F

# backup and its subcommands
complete -c cell0ctl -n '__cell0ctl_in backup; or __cell0ctl_in restore' -l repo -x \
    -a '(__fish_complete_directories)' -d 'Backup repository: a folder, or s3://BUCKET/PREFIX'
complete -c cell0ctl -n '__cell0ctl_in backup; or __cell0ctl_in restore' -l lock-wait -x \
    -a '0 5s 30s 1m 5m 15m' -d "How long to wait for another run's lock (then exit 75)"
complete -c cell0ctl -n '__cell0ctl_in backup; or __cell0ctl_in restore' -l s3-endpoint -x \
    -d 'S3 endpoint of s3:// repositories (default: AWS, or $AWS_ENDPOINT_URL)'
complete -c cell0ctl -n '__cell0ctl_in backup; or __cell0ctl_in restore' -l s3-region -x \
    -d 'S3 region of s3:// repositories (default: us-east-1)'
complete -c cell0ctl -n __cell0ctl_in_backup_only -a 'list' \
    -d 'List the snapshots of the repository'
complete -c cell0ctl -n __cell0ctl_in_backup_only -a 'verify' \
    -d "Check a snapshot's archive and every file's hash"
complete -c cell0ctl -n __cell0ctl_in_backup_only -a 'prune' \
    -d 'Remove the snapshots a retention policy does not keep'
complete -c cell0ctl -n __cell0ctl_in_backup_only -a 'copy' \
    -d 'Copy snapshots to another repository (off-site)'
complete -c cell0ctl -n __cell0ctl_in_backup_only -a 'status' \
    -d 'Print the RPO and RTO of the repository'
complete -c cell0ctl -n __cell0ctl_in_backup_only -l dry-run -d 'Show what would be stored, store nothing'
complete -c cell0ctl -n __cell0ctl_in_backup_only -l include -x \
    -d 'Store only paths matching this glob (cell0/runtime/*.json)'
complete -c cell0ctl -n __cell0ctl_in_backup_only -l exclude -x \
    -d 'Leave out paths matching this glob (cell0/runtime/sessions)'
complete -c cell0ctl -n __cell0ctl_in_backup_only -l compression -x \
    -a '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19' -d 'zstd level (1-19)'
complete -c cell0ctl -n __cell0ctl_in_backup_only -l kind -x \
    -a 'auto full differential incremental' -d 'What the snapshot stores'
complete -c cell0ctl -n __cell0ctl_in_backup_only -l full-every -x -a '0s 1d 7d 14d 30d' \
    -d 'With --kind auto: a new full when the last is older (7d)'
complete -c cell0ctl -n __cell0ctl_in_backup_only -l age-recipient -x \
    -d 'Encrypt the snapshot to this age public key, age1... (repeatable)'
complete -c cell0ctl -n __cell0ctl_in_backup_only -l age-recipients-file -r -F \
    -d 'Encrypt to the age public keys of this file, one a line (repeatable)'
complete -c cell0ctl -n '__cell0ctl_in_backup_only; or __cell0ctl_in_backup verify; or __cell0ctl_in restore' \
    -l age-identity -r -F -d 'age secret key file to decrypt an encrypted repository (repeatable)'
complete -c cell0ctl -n '__cell0ctl_in_backup_only; or __cell0ctl_in_backup verify; or __cell0ctl_in_backup prune' \
    -l metrics-file -r -F -d "Write Prometheus metrics there (node_exporter's textfile collector)"

# backup verify
complete -c cell0ctl -n '__cell0ctl_in_backup verify' -l restore \
    -d 'Restore it into a temporary folder and check it works; records the RTO'
complete -c cell0ctl -n '__cell0ctl_in_backup verify' -l scratch -x \
    -a '(__fish_complete_directories)' -d 'Where --restore restores ($TMPDIR or /tmp)'
complete -c cell0ctl -n '__cell0ctl_in_backup verify' -a '(__cell0ctl_snapshots)'

# backup prune
complete -c cell0ctl -n '__cell0ctl_in_backup prune' -l keep-last -x -a '1 3 7 14' \
    -d 'Keep the newest N snapshots'
complete -c cell0ctl -n '__cell0ctl_in_backup prune' -l keep-hourly -x -a '24 48' \
    -d 'Keep the newest of each of the last N hours'
complete -c cell0ctl -n '__cell0ctl_in_backup prune' -l keep-daily -x -a '7 14 30' \
    -d 'Keep the newest of each of the last N days'
complete -c cell0ctl -n '__cell0ctl_in_backup prune' -l keep-weekly -x -a '4 8 12' \
    -d 'Keep the newest of each of the last N weeks'
complete -c cell0ctl -n '__cell0ctl_in_backup prune' -l keep-monthly -x -a '6 12 24' \
    -d 'Keep the newest of each of the last N months'
complete -c cell0ctl -n '__cell0ctl_in_backup prune' -l keep-yearly -x -a '1 2 5 10' \
    -d 'Keep the newest of each of the last N years'
complete -c cell0ctl -n '__cell0ctl_in_backup prune' -l apply \
    -d 'Remove them (without it: only show the plan)'

# backup copy
complete -c cell0ctl -n '__cell0ctl_in_backup copy' -l to -x -a '(__fish_complete_directories)' \
    -d 'The repository to copy to: a folder, or s3://BUCKET/PREFIX'
complete -c cell0ctl -n '__cell0ctl_in_backup copy' -a '(__cell0ctl_snapshots)'

# backup status
complete -c cell0ctl -n '__cell0ctl_in_backup status' -l max-age -x -a '26h 50h 8d' \
    -d 'Warn when the newest snapshot is older (26h)'
complete -c cell0ctl -n '__cell0ctl_in_backup status' -l max-untested -x -a '8d 15d 32d' \
    -d 'Warn when the last restore test is older (8d)'

# restore
complete -c cell0ctl -n '__cell0ctl_in restore' -l at -x -a '1h 1d 7d' \
    -d 'Restore the newest snapshot taken at or before TIME'
complete -c cell0ctl -n '__cell0ctl_in restore' -l to -x -a '(__fish_complete_directories)' \
    -d 'Restore the whole snapshot into this new folder instead'
complete -c cell0ctl -n '__cell0ctl_in restore' -l only -x -a '(__cell0ctl_home_paths)' \
    -d 'Restore only this path of the home'
complete -c cell0ctl -n '__cell0ctl_in restore' -l dry-run -d 'Show what would be restored, change nothing'
complete -c cell0ctl -n '__cell0ctl_in restore' -l force -d 'Restore even while Cell 0 runs'
complete -c cell0ctl -n '__cell0ctl_in restore; and __cell0ctl_after_only' -a '(__cell0ctl_home_paths)'
complete -c cell0ctl -n '__cell0ctl_in restore; and not __cell0ctl_after_only' \
    -a '(__cell0ctl_snapshots)'
