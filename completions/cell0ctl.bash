# bash completion for cell0ctl(1), the operations toolkit for Cell 0 OS.  -*- shell-script -*-
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installed as <datadir>/bash-completion/completions/cell0ctl; works with or without the
# bash-completion package (it uses _filedir when present, compgen otherwise).
# Check ids and groups come from `cell0ctl doctor --list --format json`, run at completion
# time with the binary being completed; the list below is used when that fails. Snapshot ids
# come from `cell0ctl --format json backup list`, with the --repo, --s3-endpoint, --s3-region
# and --config of the line (and --lock-wait 0: a TAB never waits for a repository's lock).

_cell0ctl_static_checks='home.exists install.stack install.node install.python
install.python-env install.cell0d-imports config.parse config.auth config.bind config.model
perms.home perms.secrets perms.tpv-store process.gateway process.cell0d process.pidfile
ports.gateway ports.portal ports.cell0d ports.websocket ports.metrics ports.ollama ports.signal
gateway.health cell0d.health cell0d.deep cell0d.ready metrics.series ollama.reachable
ollama.model-present signal.health resources.disk resources.memory resources.cpu
resources.open-files data.memory-vectors data.sessions data.logs data.audit-db'

# Prints the group names, then the check ids, of `$1 doctor --list --format json`, one per
# line, without jq: the JSON is cut at commas and each "group"/"id" member matched.
_cell0ctl_checks() {
    local bin=${1:-cell0ctl} out item groups=" " ids="" IFS=$' \t\n'
    local re_id='"id": *"([^"]+)"' re_group='"group": *"([^"]+)"'
    if out=$("$bin" doctor --list --format json 2>/dev/null) && [[ $out == *'"id"'* ]]; then
        out=${out//,/$'\n'}
        while IFS= read -r item; do
            if [[ $item =~ $re_id ]]; then
                ids+="${BASH_REMATCH[1]} "
            elif [[ $item =~ $re_group && $groups != *" ${BASH_REMATCH[1]} "* ]]; then
                groups+="${BASH_REMATCH[1]} "
            fi
        done <<<"$out"
    else
        ids=$_cell0ctl_static_checks
        for item in $ids; do
            [[ $groups == *" ${item%%.*} "* ]] || groups+="${item%%.*} "
        done
    fi
    printf '%s\n' $groups $ids
}

# The value of the last option $1 before the word being completed, as given on the line
# (`--opt value`, `--opt=value`, with `=` a word of its own or not), `~/` expanded.
_cell0ctl_option_value() {
    local i j value="" found=1
    for ((i = 1; i < COMP_CWORD; i++)); do
        j=0
        if [[ ${COMP_WORDS[i]} == "$1" ]]; then
            if [[ ${COMP_WORDS[i + 1]} == = ]]; then
                ((i + 2 < COMP_CWORD)) && j=$((i + 2))
            elif ((i + 1 < COMP_CWORD)); then
                j=$((i + 1))
            fi
            ((j)) && value=${COMP_WORDS[j]} found=0
        elif [[ ${COMP_WORDS[i]} == "$1"=* ]]; then
            value=${COMP_WORDS[i]#*=} found=0 j=$i
        fi
        # bash splits words at `:` too (COMP_WORDBREAKS): s3://b/p is `s3` `:` `//b/p`.
        while ((j && j + 2 < COMP_CWORD)) && [[ ${COMP_WORDS[j + 1]} == : ]]; do
            value+=:${COMP_WORDS[j + 2]}
            ((j += 2))
        done
    done
    [[ $value == "~/"* ]] && value=$HOME/${value#"~/"}
    printf '%s\n' "$value"
    return $found
}

# `latest`, then the ids of `$1 --format json backup list`, one per line, without jq.
_cell0ctl_snapshots() {
    local bin=${1:-cell0ctl} out item value re_id='"id": *"([^"]+)"' IFS=$' \t\n'
    local -a args=(--lock-wait 0)
    value=$(_cell0ctl_option_value --repo) && args+=(--repo "$value")
    value=$(_cell0ctl_option_value --s3-endpoint) && args+=(--s3-endpoint "$value")
    value=$(_cell0ctl_option_value --s3-region) && args+=(--s3-region "$value")
    value=$(_cell0ctl_option_value --config) && args+=(--config "$value")
    printf '%s\n' latest
    if out=$("$bin" --format json backup list "${args[@]}" 2>/dev/null); then
        out=${out//,/$'\n'}
        while IFS= read -r item; do
            [[ $item =~ $re_id ]] && printf '%s\n' "${BASH_REMATCH[1]}"
        done <<<"$out"
    fi
}

# Files on this machine, for --config, --metrics-file and the age key files; $1 is the
# `--opt=` prefix.
_cell0ctl_files() {
    if [[ -z $1 ]] && declare -F _filedir >/dev/null; then
        _filedir
    else
        compopt -o filenames 2>/dev/null
        local IFS=$'\n'
        COMPREPLY=($(compgen -f -P "$1" -- "$cur"))
    fi
}

# Folders on this machine, for --cell0-home, --repo, --to and --scratch (an s3:// URL is
# typed in full); $1 is the `--opt=` prefix.
_cell0ctl_directories() {
    if [[ -z $1 ]] && declare -F _filedir >/dev/null; then
        _filedir -d
    else
        compopt -o filenames 2>/dev/null
        local IFS=$'\n'
        COMPREPLY=($(compgen -d -P "$1" -- "$cur"))
    fi
}

# Paths of the Cell 0 home, for restore --only: they are relative to the home, not to the
# working directory. The home is --cell0-home of the line, $CELL0_STATE_DIR or ~/.cell0.
_cell0ctl_home_paths() {
    local home item
    home=$(_cell0ctl_option_value --cell0-home) || home=${CELL0_STATE_DIR:-$HOME/.cell0}
    COMPREPLY=()
    [[ -d $home ]] || return
    while IFS= read -r item; do
        [[ -d $home/$item ]] && item+=/
        COMPREPLY+=("$1$item")
    done < <(cd -- "$home" 2>/dev/null && compgen -f -- "$cur")
    ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null
}

_cell0ctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev="" cword=$COMP_CWORD
    local global_flags='-h --help -V --version --config --cell0-home --format --color
        -q --quiet -v --verbose --log-format --endpoint --show-secrets'
    local doctor_flags='--list --skip --fail-on --timeout'
    local repo_flags='--repo --lock-wait --s3-endpoint --s3-region'
    local backup_flags="$repo_flags --dry-run --include --exclude --compression
        --metrics-file --age-recipient --age-recipients-file --age-identity --kind --full-every"
    local backup_subcommands='list verify prune copy status'
    local backup_list_flags=$repo_flags
    local backup_verify_flags="$repo_flags --restore --metrics-file --age-identity --scratch"
    local backup_prune_flags="$repo_flags --keep-last --keep-hourly --keep-daily
        --keep-weekly --keep-monthly --keep-yearly --apply --metrics-file"
    local backup_copy_flags="$repo_flags --to"
    local backup_status_flags="$repo_flags --max-age --max-untested"
    local restore_flags="$repo_flags --at --to --only --dry-run --force --age-identity"
    local validate_flags='--schema --ref-map --schema-dir --default-draft --strict --strict-formats
        --kind --env-file --export-schema'
    local commands='doctor validate-config backup restore'
    local value_options='--config|--cell0-home|--format|--color|--log-format|--endpoint|--skip|--fail-on|--timeout|--repo|--lock-wait|--s3-endpoint|--s3-region|--include|--exclude|--compression|--metrics-file|--age-recipient|--age-recipients-file|--age-identity|--kind|--full-every|--scratch|--keep-last|--keep-hourly|--keep-daily|--keep-weekly|--keep-monthly|--keep-yearly|--max-age|--max-untested|--at|--to|--only|--schema|--ref-map|--schema-dir|--default-draft|--env-file|--export-schema'
    local opt="" prefix="" i command="" subcommand="" bin

    # `--opt=value`: bash splits at `=` when it is in COMP_WORDBREAKS (the default).
    if [[ $cur == = ]]; then
        opt=${COMP_WORDS[cword - 1]}
        cur=""
    elif ((cword >= 2)) && [[ ${COMP_WORDS[cword - 1]} == = ]]; then
        opt=${COMP_WORDS[cword - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        prefix=$opt=
        cur=${cur#*=}
    elif ((cword >= 1)); then
        prev=${COMP_WORDS[cword - 1]}
        [[ $prev == @($value_options) ]] && opt=$prev
    fi

    # The command, if one was given; global options may come before or after it.
    for ((i = 1; i < cword; i++)); do
        if [[ ${COMP_WORDS[i]} == @(doctor|validate-config|backup|restore) ]] &&
            [[ ${COMP_WORDS[i - 1]} != @($value_options|=) ]]; then
            command=${COMP_WORDS[i]}
            break
        fi
    done
    # backup's subcommand, if one was given.
    if [[ $command == backup ]]; then
        for ((i++; i < cword; i++)); do
            if [[ ${COMP_WORDS[i]} == @(list|verify|prune|copy|status) ]] &&
                [[ ${COMP_WORDS[i - 1]} != @($value_options|=) ]]; then
                subcommand=${COMP_WORDS[i]}
                break
            fi
        done
    fi
    # restore --only takes every word after it as a path: go on completing paths.
    if [[ -z $opt && $command == restore && $cur != -* ]]; then
        for ((i = cword - 1; i > 0; i--)); do
            if [[ ${COMP_WORDS[i]} == -* ]]; then
                [[ ${COMP_WORDS[i]} == --only ]] && opt=--only
                break
            fi
            [[ ${COMP_WORDS[i]} == restore ]] && break
        done
    fi

    bin=${COMP_WORDS[0]}
    [[ $bin == "~/"* ]] && bin=$HOME/${bin#"~/"}
    type -P -- "$bin" >/dev/null 2>&1 || bin=cell0ctl

    case $opt in
    --config | --metrics-file | --age-recipients-file | --age-identity | --schema | --env-file)
        _cell0ctl_files "$prefix"
        return
        ;;
    --cell0-home | --repo | --to | --scratch | --schema-dir)
        _cell0ctl_directories "$prefix"
        return
        ;;
    --age-recipient)
        # An age public key, age1...: nothing to offer.
        COMPREPLY=()
        return
        ;;
    --default-draft)
        COMPREPLY=($(compgen -P "$prefix" -W '2020-12 7' -- "$cur"))
        return
        ;;
    --ref-map)
        # URL-PREFIX=DIR: nothing to offer.
        COMPREPLY=()
        return
        ;;
    --export-schema)
        # validate-config's kinds that have a schema (lib/validate/kinds.cpp).
        COMPREPLY=($(compgen -P "$prefix" -W 'alert-rules alertmanager app-config cell0.json docker-compose dotenv google-chat-config grafana-dashboard grafana-provisioning helm-chart helm-values k8s-manifest loki prometheus promtail python-config signal-config skill tool-profiles' -- "$cur"))
        return
        ;;
    --s3-endpoint | --s3-region)
        # A URL or a region name: nothing sensible to offer.
        COMPREPLY=()
        return
        ;;
    --keep-last | --keep-hourly | --keep-daily | --keep-weekly | --keep-monthly | --keep-yearly)
        # A count: the usual ones.
        local counts
        case $opt in
        --keep-last) counts='1 3 7 14' ;; --keep-hourly) counts='24 48' ;;
        --keep-daily) counts='7 14 30' ;; --keep-weekly) counts='4 8 12' ;;
        --keep-monthly) counts='6 12 24' ;; --keep-yearly) counts='1 2 5 10' ;;
        esac
        COMPREPLY=($(compgen -P "$prefix" -W "$counts" -- "$cur"))
        return
        ;;
    --max-age)
        COMPREPLY=($(compgen -P "$prefix" -W '26h 50h 8d' -- "$cur"))
        return
        ;;
    --max-untested)
        COMPREPLY=($(compgen -P "$prefix" -W '8d 15d 32d' -- "$cur"))
        return
        ;;
    --format)
        if [[ $command == @(backup|restore) ]]; then
            COMPREPLY=($(compgen -P "$prefix" -W 'text json' -- "$cur"))
        elif [[ $command == validate-config ]]; then
            COMPREPLY=($(compgen -P "$prefix" -W 'text json github junit sarif' -- "$cur"))
        else
            COMPREPLY=($(compgen -P "$prefix" -W 'text json junit' -- "$cur"))
        fi
        return
        ;;
    --lock-wait)
        COMPREPLY=($(compgen -P "$prefix" -W '0 5s 30s 1m 5m 15m' -- "$cur"))
        return
        ;;
    --compression)
        COMPREPLY=($(compgen -P "$prefix" -W '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19' -- "$cur"))
        return
        ;;
    --kind)
        # backup's snapshot kinds; validate-config's config kinds (lib/validate/kinds.cpp).
        if [[ $command == validate-config ]]; then
            COMPREPLY=($(compgen -P "$prefix" -W 'alert-rules alertmanager app-config cell0.json docker-compose dotenv google-chat-config grafana-dashboard grafana-provisioning helm-chart helm-template helm-values k8s-manifest loki prometheus promtail python-config signal-config skill tool-profiles' -- "$cur"))
            return
        fi
        COMPREPLY=($(compgen -P "$prefix" -W 'auto full differential incremental' -- "$cur"))
        return
        ;;
    --full-every)
        COMPREPLY=($(compgen -P "$prefix" -W '0s 1d 7d 14d 30d' -- "$cur"))
        return
        ;;
    --at)
        # A point in time: nothing sensible to offer but the forms.
        COMPREPLY=($(compgen -P "$prefix" -W '1h 1d 7d' -- "$cur"))
        return
        ;;
    --include | --exclude)
        # Globs of paths in the snapshot: nothing to offer.
        COMPREPLY=()
        return
        ;;
    --only)
        # Paths of the home; with --to, paths of the snapshot, which only the archive knows.
        COMPREPLY=()
        _cell0ctl_option_value --to >/dev/null || _cell0ctl_home_paths "$prefix"
        return
        ;;
    --color)
        COMPREPLY=($(compgen -P "$prefix" -W 'auto always never' -- "$cur"))
        return
        ;;
    --log-format)
        COMPREPLY=($(compgen -P "$prefix" -W 'text json' -- "$cur"))
        return
        ;;
    --fail-on)
        COMPREPLY=($(compgen -P "$prefix" -W 'warn fail' -- "$cur"))
        return
        ;;
    --timeout)
        COMPREPLY=($(compgen -P "$prefix" -W '500ms 1s 2s 5s 10s 30s' -- "$cur"))
        return
        ;;
    --endpoint)
        COMPREPLY=($(compgen -P "$prefix" \
            -W 'gateway= portal= cell0d= websocket= metrics= ollama= signal=' -- "$cur"))
        compopt -o nospace 2>/dev/null
        return
        ;;
    --skip)
        # A comma-separated list: complete its last element.
        local head=""
        [[ $cur == *,* ]] && head=${cur%,*},
        COMPREPLY=($(compgen -P "$prefix$head" -W "$(_cell0ctl_checks "$bin")" -- "${cur##*,}"))
        return
        ;;
    gateway | portal | cell0d | websocket | metrics | ollama | signal)
        # NAME=<TAB> after --endpoint: the service's default URL.
        local port
        case $opt in
        gateway) port=18789 ;; portal) port=18790 ;; cell0d) port=18800 ;;
        websocket) port=18801 ;; metrics) port=18802 ;; ollama) port=11434 ;; signal) port=8080 ;;
        esac
        COMPREPLY=($(compgen -W "http://127.0.0.1:$port" -- "$cur"))
        return
        ;;
    esac

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global_flags" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    case $command in
    doctor)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$doctor_flags $global_flags" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_cell0ctl_checks "$bin")" -- "$cur"))
        fi
        ;;
    validate-config)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$validate_flags $global_flags" -- "$cur"))
        else
            _cell0ctl_files ""
        fi
        ;;
    backup)
        if [[ $cur == -* ]]; then
            local flags=$backup_flags
            case $subcommand in
            list) flags=$backup_list_flags ;; verify) flags=$backup_verify_flags ;;
            prune) flags=$backup_prune_flags ;; copy) flags=$backup_copy_flags ;;
            status) flags=$backup_status_flags ;;
            esac
            COMPREPLY=($(compgen -W "$flags $global_flags" -- "$cur"))
        elif [[ -z $subcommand ]]; then
            COMPREPLY=($(compgen -W "$backup_subcommands" -- "$cur"))
        elif [[ $subcommand == @(verify|copy) ]]; then
            COMPREPLY=($(compgen -W "$(_cell0ctl_snapshots "$bin")" -- "$cur"))
        fi
        ;;
    restore)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$restore_flags $global_flags" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_cell0ctl_snapshots "$bin")" -- "$cur"))
        fi
        ;;
    esac
}

complete -F _cell0ctl cell0ctl
