// Type-checked by TestTypes: the classic-script build's global, as a page script would use it.
/// <reference types="@smokenet/smoke/script" />

async function main(): Promise<void> {
  const ns = await Smoke.ready
  const node = new ns.Node()
  const address: string = await node.address()
  // Before ready resolves the classes may be missing: Smoke.Node is optional on the global.
  // @ts-expect-error possibly undefined
  new Smoke.Node()
  await node.dispose()
}
