type NodeSamlXml = typeof import('@node-saml/node-saml/lib/xml.js');

/**
 * The parts of @xmldom/xmldom's DOM we read, typed here: identity compiles without the DOM lib.
 * Parsing and XPath are node-saml's own, so we read the document exactly as it verifies it.
 */
export interface XmlNode {
  nodeType: number;
  firstChild: XmlNode | null;
  nextSibling: XmlNode | null;
}

export interface XmlElement extends XmlNode {
  localName: string;
  namespaceURI: string | null;
  textContent: string | null;
  getAttribute(name: string): string | null;
}

export interface XmlDocument extends XmlNode {
  documentElement: XmlElement | null;
}

/** node-saml's XML module, imported on the first parse rather than at start (see metadata.ts). */
let loaded: NodeSamlXml | undefined;

export async function parseXml(xml: string): Promise<XmlDocument> {
  loaded ??= await import('@node-saml/node-saml/lib/xml.js');
  return (await loaded.parseDomFromString(xml)) as unknown as XmlDocument;
}

/** The XPath helpers: a node to select from exists only once parseXml has loaded the module. */
function xpath(): NodeSamlXml['xpath'] {
  if (!loaded) throw new Error('select before parseXml: no XML document can exist yet');
  return loaded.xpath;
}

export function selectElements(node: XmlNode, path: string): XmlElement[] {
  return xpath().selectElements(node as never, path) as unknown as XmlElement[];
}

export function selectAttributeValues(node: XmlNode, path: string): string[] {
  return xpath()
    .selectAttributes(node as never, path)
    .map((attribute) => attribute.value);
}
