# SPDX-License-Identifier: Apache-2.0
# bash completion for acmed: commands, options, fixed option values and certificate
# names (certs.d of the --config-dir on the line, default /etc/acmed). The candidates
# come from `acmed __complete`, which reads the program's own command tree.
_acmed() {
  local IFS=$'\n' cur=${COMP_WORDS[COMP_CWORD]}
  local -a candidates
  candidates=($("${COMP_WORDS[0]}" __complete "$COMP_CWORD" "${COMP_WORDS[@]}" 2>/dev/null))
  if [ "${candidates[0]:-}" = __files__ ]; then
    candidates=($(compgen -f -- "$cur"))
    compopt -o filenames 2>/dev/null
  fi
  COMPREPLY=("${candidates[@]}")
}
complete -F _acmed acmed
