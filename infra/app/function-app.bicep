// The Function App on a Flex Consumption plan: Node.js 22, the package pulled from a blob
// container with the managed identity, app settings that hold no secret (Key Vault references).
param name string
param planName string
param location string
param tags object = {}
@description('azd finds the service to deploy by this tag.')
param serviceName string = 'api'

param identityId string
param identityClientId string
param storageBlobEndpoint string
param deploymentContainerName string

@allowed([512, 2048, 4096])
@description('Instance memory; always-ready instances are billed by it, so 512 MB costs a quarter of 2 GB.')
param instanceMemoryMB int = 512
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40
@description('Always-ready instances: [{ name: "function:<name>" | "http" | "blob" | "durable", instanceCount }].')
param alwaysReady array = []

@description('Setting name -> value. Values are plain settings or Key Vault references, never secrets.')
param appSettings object
@description('SPEC §7 CALLBACK_URL; empty: the https address of this app.')
param callbackUrl string = ''
@description('Application Insights to send telemetry to (with the identity); empty: no telemetry.')
param applicationInsightsName string = ''

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = if (!empty(applicationInsightsName)) {
  name: applicationInsightsName
}

// Local auth is off on the component, so the connection string alone cannot ingest: the host and
// the SDK authenticate as the identity named in the authentication string.
var telemetryEnabledSettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights!.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}
var telemetrySettings = empty(applicationInsightsName) ? {} : telemetryEnabledSettings

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the app's user-assigned identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
      // Flex sets the language here; FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION
      // are not allowed as app settings on this plan.
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource config 'config' = {
    name: 'appsettings'
    properties: union(appSettings, telemetrySettings, {
      CALLBACK_URL: empty(callbackUrl) ? 'https://${site.properties.defaultHostName}' : callbackUrl
      // Identity-based host storage: no connection string, no key.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // The user-assigned identity every credential of the app names (Graph, storage, Key Vault, telemetry).
      AZURE_CLIENT_ID: identityClientId
      // V8 heap cap for the Node.js worker on a 512 MB instance (dev/host/node-worker-arguments.ts).
      languageWorkers__node__arguments: '--max-old-space-size=192'
    })
  }
}

// Publishing with basic credentials (FTP, SCM) stays off: azd deploys with Entra ID.
resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
