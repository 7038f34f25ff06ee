/**
 * The versions a job installs, checked before any call: the list's shape,
 * DRAFT versions the program declares, and the document's package
 * placeholders against the versions listed (src/provider/kinds/package-versions.ts).
 */
import { describe, expect, test } from "vitest";
import {
  destinationPackageVersionsSchema,
  packageVersionArns,
  packageVersionIssues,
  versionLabel,
} from "../../src/provider/kinds/package-versions.ts";

const ARN = (pkg: string, version: string) => `arn:aws:iot:us-east-1:123456789012:package/${pkg}/version/${version}`;
/** A SoftwarePackageVersion as the program passes it (its output). */
const declared = (pkg: string, version: string, more: Record<string, unknown> = {}) => ({
  packageName: pkg,
  versionName: version,
  packageVersionArn: ARN(pkg, version),
  arn: ARN(pkg, version),
  status: "PUBLISHED",
  attributes: { s3URL: "https://firmware.example/1.bin", signature: "abc" },
  ...more,
});

const messages = (list: unknown, document?: unknown) =>
  packageVersionIssues("destinationPackageVersions", list, document === undefined ? undefined : JSON.stringify(document)).map(
    (i) => i.message,
  );

describe("the list", () => {
  test("takes ARNs (with $default and $null) and declared versions, and sends ARNs", () => {
    const list = [ARN("firmware", "1.1.0"), declared("agent", "2.0"), ARN("modem", "$default"), ARN("legacy", "$null")];
    expect(destinationPackageVersionsSchema.safeParse(list).success).toBe(true);
    expect(packageVersionArns(list)).toEqual([
      ARN("firmware", "1.1.0"),
      ARN("agent", "2.0"),
      ARN("modem", "$default"),
      ARN("legacy", "$null"),
    ]);
    expect(versionLabel(ARN("legacy", "$null"))).toBe("legacy $null (uninstalls legacy)");
  });

  test("refuses ARNs of other resources, a version listed twice and more than 25", () => {
    const job = "arn:aws:iot:us-east-1:123456789012:job/ota";
    const wrong = destinationPackageVersionsSchema.safeParse([job]);
    expect(wrong.success).toBe(false);
    expect(wrong.error!.issues[0].message).toContain("must be a package version ARN");
    const twice = destinationPackageVersionsSchema.safeParse([ARN("a", "1"), declared("a", "1")]);
    expect(twice.error!.issues[0].message).toBe("lists the same version twice (also [0])");
    const many = destinationPackageVersionsSchema.safeParse(Array.from({ length: 26 }, (_, i) => ARN(`p${i}`, "1")));
    expect(many.error!.issues[0].message).toBe("lists at most 25 package versions");
  });
});

describe("DRAFT versions", () => {
  test("a version the program declares DRAFT is refused, naming it", () => {
    expect(messages([declared("firmware", "1.2.0-rc1", { status: "DRAFT" })])).toEqual([
      'destinationPackageVersions[0]: version 1.2.0-rc1 of package firmware is declared DRAFT; AWS deploys only PUBLISHED or DEPRECATED versions (declare it with status: "PUBLISHED")',
    ]);
    expect(messages([declared("firmware", "1.0.0", { status: "DEPRECATED" })])).toEqual([]);
  });
});

describe("document placeholders", () => {
  const v110 = declared("firmware", "1.1.0", { artifact: { s3Location: { bucket: "b", key: "k" } } });

  test("placeholders that name a listed version, its attributes and its artifact pass", () => {
    const document = {
      url: "${aws:iot:package:firmware:version:1.1.0:attributes:s3URL}",
      all: "${aws:iot:package:firmware:version:1.1.0:attributes}",
      image: "${aws:iot:package:firmware:version:1.1.0:artifact-location:s3-presigned-url}",
      single: "${aws:iot:package::version::attributes:signature}",
    };
    expect(messages([v110], document)).toEqual([]);
  });

  test("a version the job does not install is refused, listing what it installs", () => {
    expect(messages([v110], { url: "${aws:iot:package:firmware:version:1.0.0:attributes:s3URL}" })).toEqual([
      "document: ${aws:iot:package:firmware:version:1.0.0:attributes:s3URL} names version 1.0.0 of package firmware, which destinationPackageVersions does not list (it lists: firmware 1.1.0); AWS refuses a job whose document and destinationPackageVersions disagree",
    ]);
    expect(messages(undefined, { url: "${aws:iot:package:firmware:version:1.0.0:attributes}" })[0]).toContain("(it lists: none)");
  });

  test("an attribute or artifact the declared version does not have is refused", () => {
    expect(messages([v110], { sig: "${aws:iot:package:firmware:version:1.1.0:attributes:checksum}" })).toEqual([
      'document: ${aws:iot:package:firmware:version:1.1.0:attributes:checksum} names attribute "checksum", which version 1.1.0 of package firmware does not have (its attributes: s3URL, signature)',
    ]);
    expect(
      messages([declared("firmware", "1.1.0")], { image: "${aws:iot:package:firmware:version:1.1.0:artifact-location:s3-presigned-url}" }),
    ).toEqual([
      "document: ${aws:iot:package:firmware:version:1.1.0:artifact-location:s3-presigned-url} asks for the artifact of version 1.1.0 of package firmware, which declares no artifact",
    ]);
  });

  test("a version given by ARN is checked by name only (its attributes are not known before the deploy)", () => {
    expect(messages([ARN("firmware", "1.1.0")], { x: "${aws:iot:package:firmware:version:1.1.0:attributes:anything}" })).toEqual([]);
  });

  test("empty names need a single-package deployment; malformed placeholders are refused", () => {
    const single = { x: "${aws:iot:package::version::attributes:s3URL}" };
    expect(messages([v110, declared("agent", "2.0")], single)[0]).toContain(
      "stands for the one version of a single-package deployment, but destinationPackageVersions lists 2",
    );
    expect(messages([v110], { x: "${aws:iot:package:firmware:version::attributes}" })[0]).toContain(
      "leaves only one of the package and version names empty",
    );
    expect(messages([v110], { x: "${aws:iot:package:firmware:1.1.0}" })[0]).toContain("is not a package placeholder AWS substitutes");
  });
});
