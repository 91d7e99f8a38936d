import * as nodeSamlXml from '@node-saml/node-saml/lib/xml.js';

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

export async function parseXml(xml: string): Promise<XmlDocument> {
  return (await nodeSamlXml.parseDomFromString(xml)) as unknown as XmlDocument;
}

export function selectElements(node: XmlNode, path: string): XmlElement[] {
  return nodeSamlXml.xpath.selectElements(node as never, path) as unknown as XmlElement[];
}

export function selectAttributeValues(node: XmlNode, path: string): string[] {
  return nodeSamlXml.xpath.selectAttributes(node as never, path).map((attribute) => attribute.value);
}
