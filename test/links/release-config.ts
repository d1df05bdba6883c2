/**
 * The configuration the guard-release tests share: static people p11… with GitHub ids (plus carol, the approver, and
 * bob, who is not one), a GitHub target on the fake whose members are `devs` and whose blocked removals are queued for
 * release. `sources` and `links` add YAML to those sections; `approvers` adds approver groups.
 */
export function releaseConfig(o: {
  readonly githubUrl: string;
  readonly people: readonly number[];
  readonly devs: readonly number[];
  readonly sources?: string;
  readonly links?: string;
  readonly approvers?: readonly string[];
}): string {
  return `sources:
  people:
    type: static
    people:
${o.people.map((id) => `      - { id: p${id}, github: ${id} }`).join('\n')}
      - { id: carol }
      - { id: bob }
    groups:
      devs: [${o.devs.map((id) => `p${id}`).join(', ')}]
      approvers: [carol]
${o.sources ?? ''}links:
  approvers: [${['people/approvers', ...(o.approvers ?? [])].join(', ')}]
${o.links ?? ''}targets:
  gh:
    type: github
    org: acme
    apiUrl: ${o.githubUrl}
    auth: { token: "\${env:GH_TOKEN}" }
    members: [people/devs]
    protected: [1]
    writeSpacingMs: 0
    releaseQueue: true
`;
}
